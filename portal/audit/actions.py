"""Every audited action and outcome, with the Chinese label the viewer and the CSV show.

A new record("x.y", ...) call needs its action declared here first: record() refuses an
undeclared action, and tests/audit/test_audit_actions.py finds every literal in portal/.
Add it to the group it belongs to (or a new group); the viewer's filter lists them in this order.
"""

ACTION_GROUPS: dict[str, dict[str, str]] = {
    "登录与账号": {
        "auth.login": "登录",
        "auth.logout": "退出",
        "auth.lockout": "账号锁定",
        "auth.throttle": "地址限制登录",
        "auth.timeout": "超时退出",
        "auth.password_change": "修改密码",
        "account.register": "注册",
        "account.activation_issued": "发放激活码",
        "account.activate": "凭激活码开通账号",
        "account.registration_confirmed": "确认注册申请为本人",
        "account.registration_refused": "不予确认注册申请",
    },
    "拒绝访问": {
        "access.forbidden": "越权访问被拒绝",
        "access.not_found": "访问不存在或无权查看的记录",
        "access.csrf": "请求来源校验失败",
        "access.throttled": "请求过于频繁被拒绝",
    },
    "人员信息": {
        "person.confirmed": "确认人员信息",
        "person.refused": "不予确认人员信息",
        "person.title_added": "登记职称",
        "person.moved": "变更工作单位",
        "person.move_requested": "申请变更工作单位",
        "person.move_refused": "不予确认单位变更",
        "person.move_scheduled": "确认单位变更（待生效）",
        "person.transfer_in": "登记调入日期",
        "person.phone": "修改联系电话",
        "person.transition_mark": "设置新老办法标记",
        "person.transition_bulk": "批量设置新老办法标记",
    },
    "年度申报": {
        "declaration.open": "新建年度申报",
        "declaration.rule_set": "更换规则集",
        "declaration.submit": "提交申报",
        "declaration.resubmit": "补充材料后重新提交",
        "declaration.revoked": "撤销学时记录（异议成立）",
        "declaration.sent_back": "退回重新核验（异议成立）",
        "declaration.paper_entered": "录入纸质证书年度",
        "declaration.imported": "导入外县（市）登记年度",
        "declaration.late_opened": "开放补登记年度",
        "claim.add": "新增申报条目",
        "claim.update": "修改申报条目",
        "claim.subject": "更改条目科目",
        "claim.elect": "选择就高认定项",
        "claim.delete": "删除申报条目",
        "claim.prepare": "报送申报条目",
        "evidence.add": "上传证明材料",
        "evidence.delete": "删除证明材料",
    },
    "核验": {
        "review.claim_decided": "逐项认定",
        "review.approved": "核验通过",
        "review.professional_passed": "专业科目核验通过（两步核验第一步）",
        "review.rejected": "核验不通过",
        "review.evidence_requested": "要求补充材料",
    },
    "公示与异议": {
        "publicity.batch_opened": "发布公示批次",
        "publicity.added": "列入公示",
        "publicity.registered": "公示期满登记",
        "publicity.batch_closed": "公示批次结束",
        "objection.raised": "提出异议",
        "objection.decided": "处理异议",
    },
    "培训备案": {
        "plan.filed": "提交培训计划备案",
        "plan.accepted": "培训计划予以备案",
        "plan.refused": "培训计划不予备案",
        "import.queued": "提交名单（学习记录）导入任务",
        "list.imported": "导入合格人员名单",
        "courseware.imported": "导入网络课件学习记录",
        "provider.create": "新增施教机构",
        "provider.update": "修改施教机构",
    },
    "提醒": {
        "reminder.sent": "提醒学时未达标人员",
    },
    "统计": {
        "stats.recompute": "要求重新计算统计",
    },
    "数据交换": {
        "exchange.export": "导出年度登记数据",
        "exchange.import": "导入人员名单",
        "exchange.import_registrations": "导入外县（市）登记数据",
        "api.pull": "接口调取数据",
        "api.refused": "接口密钥无效被拒绝",
        "api_key.create": "新建接口密钥",
        "api_key.revoke": "吊销接口密钥",
    },
    "证书": {
        "certificate.issue": "发放证书编号",
        "certificate.print": "打印证书",
        "certificate.print_withdrawn": "撤销未完成批量打印的打印件",
        "certificate.verify_throttle": "地址限制证书查验",
    },
    "学时验证": {
        "verification.issue": "出具学时验证单",
        "verification.sent": "报市人社局复核",
        "verification.confirmed": "市人社局复核通过",
        "verification.returned": "市人社局退回",
    },
    "系统管理": {
        "unit.create": "新增单位",
        "unit.update": "修改单位",
        "unit.activate": "启用单位",
        "unit.deactivate": "停用单位",
        "authority.create": "新增行业主管部门",
        "authority.update": "修改行业主管部门",
        "series.create": "新增职称系列",
        "series.update": "修改职称系列",
        "user.create": "新建账号",
        "user.enable": "启用账号",
        "user.disable": "停用账号",
        "user.unlock": "解锁账号",
        "user.reset_password": "重置密码",  # nosec B105
        "settings.update": "修改系统设置",
        "settings.study_end": "设置公需科目网络学习截止日期",
        "workday.added": "新增工作日调整",
        "workday.updated": "修改工作日调整",
        "workday.deleted": "删除工作日调整",
        "demo.load": "载入演示数据",
        "audit.export": "导出审计日志",
        "audit.verify": "校验审计日志完整性",
        "audit.purge": "清理过期审计日志",
        "backup.create": "备份数据",
        "backup.restore": "从备份恢复",
        "job.abandoned": "后台任务进程停止，任务标为失败",
    },
}

ACTIONS: dict[str, str] = {
    action: label for group in ACTION_GROUPS.values() for action, label in group.items()
}

OUTCOMES: dict[str, str] = {
    "success": "成功",
    "failure": "失败",  # the attempt went wrong: a wrong password, a disabled account
    "denied": "拒绝访问",  # access withheld: a locked account, a throttled address
    "refused": "拒绝办理",  # not allowed in this state: a submitted declaration, a flood
}

# Labels of the objects record() is given, by lowercased class name; for rows without a name.
OBJECT_TYPES: dict[str, str] = {
    "user": "账号",
    "activationcode": "激活码",
    "registrationrequest": "注册申请",
    "professional": "人员",
    "moverequest": "单位变更",
    "unit": "单位",
    "authority": "行业主管部门",
    "titleseries": "职称系列",
    "declaration": "年度申报",
    "lateyear": "补登记年度",
    "claim": "申报条目",
    "evidence": "证明材料",
    "publicitybatch": "公示批次",
    "objection": "异议",
    "certificate": "学时登记证书",
    "certificateprint": "证书打印件",
    "job": "后台任务",
    "workdayoverride": "工作日调整",
    "trainingplan": "培训计划",
    "provider": "施教机构",
    "verification": "学时验证单",
    "apikey": "接口密钥",
}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def outcome_label(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome)


def object_label(object_type: str, object_id: str, object_name: str = "") -> str:
    """What the event was about: its recorded name, else the type's label and id."""
    if object_name:
        return object_name
    if not object_type:
        return ""
    label = OBJECT_TYPES.get(object_type, object_type)
    return f"{label} #{object_id}" if object_id else label
