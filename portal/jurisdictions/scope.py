"""The one rule that keeps an officer inside their jurisdiction (style.md 17).

While a scope is set, every ORM SELECT gets `with_loader_criteria(InJurisdiction, ...)`: rows of
a county-owned model (units, people, declarations, batches, verifications, certificates,
accounts, workday overrides) outside the scope are not loaded: not in a list, not in a count,
not by id (`session.get` is a SELECT too), not through a relationship. The scope holds the
counties an account may see and their ancestors (a county officer's city and province own no
records but their officers' accounts are seen: the city officer is told of a county's senior
verification).

A person whose record was handed on to another county (a move inside the instance) is also
seen by the counties it was handed on from (FormerJurisdiction), with their titles, employments
and the rest of the person's child records: they keep the years they registered and find the
person marked 已调出. The criteria name them by a subquery on FormerJurisdiction, not by their
ids: the statements stay the same however many people a county has handed on over the years.

A single-county install (the embedded default) sets no scope at all: the criteria cost about
0.15 ms of CPU per statement, and one county has nothing to keep apart. The tree is cached per
process (service.TREE_SECONDS); an account of a county the cache does not know reloads it.

Who is scoped: every staff account of a county or a city (bureau, unit, provider, authority,
city officers). Not scoped: the professional (their own records, whichever county reviewed
them, are found by ownership checks), the admin and the auditor (the instance's operators), the
CLI and the jobs unless they name a jurisdiction (`with use(code):`). A place that must see
across on purpose (the city's roll-up, a person's history that moved with them) says so:
`with unscoped():` or `.execution_options(all_jurisdictions=True)`.

Core statements (the statistics' SQL) do not pass through the ORM event: they take
`counties()` as a parameter.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from portal.extensions import db
from portal.jurisdictions import service
from portal.jurisdictions.models import (
    FormerJurisdiction,
    InJurisdiction,
    JurisdictionLevel,
)

Scope = tuple[tuple[str, ...], tuple[str, ...]]
# (visible codes, the scope's counties) — None: not scoped
_scope: ContextVar[Scope | None] = ContextVar("jurisdiction_scope", default=None)
_home: ContextVar[str | None] = ContextVar("jurisdiction_home", default=None)

UNSCOPED_ROLES = frozenset({"professional", "admin", "auditor"})


def visible() -> tuple[str, ...] | None:
    scope = _scope.get()
    return None if scope is None else scope[0]


def counties() -> tuple[str, ...] | None:
    """The scope's counties, for Core SQL to take as a parameter (None: all)."""
    scope = _scope.get()
    return None if scope is None else scope[1]


def home_county() -> str:
    """The county a new record belongs to when nothing more precise is known: the account's
    county, else the one named with `use()`, else the install's."""
    home = _home.get()
    if home:
        return home
    return service.default_county() if has_app_context() else ""


def _scope_of(code: str) -> Scope:
    counties_ = service.counties_of(code)
    node = service.get(code)
    if node is not None and node.level is JurisdictionLevel.COUNTY:
        counties_ = [code]
    elif node is None:
        counties_ = []  # an unknown code sees nothing (never everything)
    visible_ = tuple(sorted({*counties_, code, *service.ancestors(code)}))
    return visible_, tuple(counties_)


def _home_of(code: str | None) -> str | None:
    node = service.get(code) if code else None
    return code if node is not None and node.level is JurisdictionLevel.COUNTY else None


def set_for_user(user) -> None:
    """The request's scope, from the logged-in account (called once the account is loaded)."""
    if user is None or not getattr(user, "is_authenticated", False):
        _scope.set(None)
        _home.set(None)
        return
    code = user.jurisdiction_code
    if service.get(code) is None:
        service.forget()  # an account of a division this process has not heard of yet
    if service.is_single_county():
        _home.set(_home_of(code))
        _scope.set(None)  # one county: nothing to keep apart, and no criteria to pay for
        return
    person = user.professional if user.role.value == "professional" else None
    # a professional acts in their record's county (it follows them when they move)
    _home.set(_home_of(person.jurisdiction_code if person is not None else code))
    _scope.set(None if user.role.value in UNSCOPED_ROLES else _scope_of(code))


def set_public(code: str | None) -> None:
    """A public page of one county (its board, objections, verification)."""
    _scope.set(_scope_of(code) if code and not service.is_single_county() else None)
    _home.set(_home_of(code))


def elsewhere(model, *criteria) -> bool:
    """Is there such a record out of the scope's sight? A uniqueness check (a credit code, an
    ID number) sees across, and says no more than that it is another county's."""
    from portal.extensions import db

    statement = sa.select(model.id).where(*criteria).limit(1)
    return db.session.scalar(statement.execution_options(all_jurisdictions=True)) is not None


ELSEWHERE = "其他县（市、区）"


def act_on(record) -> None:
    """The request acts on this record from here on: settings and working days are its
    county's (a city officer confirming a county's verification; a no-op for a county's own
    staff)."""
    act_for(getattr(record, "jurisdiction_code", None))


def act_for(code: str | None) -> None:
    """The rest of this request acts on one county's record (a city officer opening a county's
    verification or declaration): that county's settings (get_setting) and defaults; what the
    account may see is unchanged. Ends with the request."""
    if _home_of(code):
        _home.set(code)


def clear() -> None:
    _scope.set(None)
    _home.set(None)


@contextmanager
def use(code: str) -> Iterator[None]:
    """Act inside one county or city (the CLI with --jurisdiction, a job for one county)."""
    scope_token, home_token = _scope.set(_scope_of(code)), _home.set(_home_of(code))
    try:
        yield
    finally:
        _scope.reset(scope_token)
        _home.reset(home_token)


@contextmanager
def unscoped() -> Iterator[None]:
    """See across jurisdictions on purpose (the city's roll-up, a moved person's history)."""
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


def _add_criteria(state: ORMExecuteState) -> None:
    scope = _scope.get()
    if (
        scope is None
        or not state.is_select
        or state.is_column_load
        or state.is_relationship_load  # the criteria travel with the parent query's options
        or state.execution_options.get("all_jurisdictions", False)
    ):
        return
    state.statement = _scoped(state.statement, _criteria(scope[0]))


# Each statement's scoped form, for the last few scopes it ran under. A statement built once
# (most of the pages' are) then keeps one scoped form a scope, with its cache key computed once:
# made anew, the scoped form's key was computed again on every run, a traversal of the whole
# statement (0.1–0.5 ms of CPU each). Weak keys: a statement built for one request goes with it.
_scoped_forms: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
SCOPED_FORMS_KEPT = 8  # scopes a statement keeps its form for (a county's accounts share one)
_scoped_lock = threading.Lock()


def _scoped(statement, criteria: tuple):
    with _scoped_lock:  # a threaded server's requests share the forms
        forms = _scoped_forms.get(statement)
        if forms is None:
            forms = _scoped_forms[statement] = {}
        scoped = forms.get(criteria)
        if scoped is None:
            if len(forms) >= SCOPED_FORMS_KEPT:
                del forms[next(iter(forms))]
            scoped = forms[criteria] = statement.options(*criteria)
        return scoped


@functools.lru_cache(maxsize=1024)
def _criteria(codes: tuple[str, ...]) -> tuple:
    """The loader criteria of a scope, built once for every request with the same scope (the
    SQL expressions are immutable; building them for each statement cost a few ms a page)."""
    person = _person()
    # A person is also seen by the counties their record was handed on from (已调出). (A SQL
    # element made outside the lambda: its values are the statement's parameters.) The lambda
    # is called with the person's class and with each alias of it: both get the hand-overs.
    handed_on = _handed_on(codes)
    return (
        with_loader_criteria(
            InJurisdiction,
            lambda cls: (
                sa.or_(cls.jurisdiction_code.in_(codes), cls.id.in_(handed_on))
                if getattr(getattr(cls, "__mapper__", None), "class_", None) is person
                else cls.jurisdiction_code.in_(codes)
            ),
            include_aliases=True,
        ),
        *(
            with_loader_criteria(child, _through(child, codes), include_aliases=True)
            for child in _children()
        ),
    )


def _ids(model: type, codes: tuple[str, ...]) -> sa.Select:
    """SQL: the ids of the scope's rows of a model (a county-owned one or a child)."""
    if not issubclass(model, InJurisdiction):
        return sa.select(model.id).where(_through(model, codes))
    seen = model.jurisdiction_code.in_(codes)
    if model is _person():
        seen = sa.or_(seen, model.id.in_(_handed_on(codes)))
    return sa.select(model.id).where(seen)


def _handed_on(codes: tuple[str, ...]) -> sa.Select:
    """SQL: the people whose record these counties handed on. A subquery, which PostgreSQL
    reads once per statement into a hash (SQLite: a temporary index): the ids as values would
    make each statement carry thousands of parameters once a county has handed on thousands
    over the years (5,000: a bureau's pages 3–5 → 30–46 ms of CPU). The hash must fit in
    PostgreSQL's work_mem (4 MB by default: about 100,000 people); past that it would read the
    subquery again for each row — not measured."""
    return sa.select(FormerJurisdiction.professional_id).where(
        FormerJurisdiction.jurisdiction_code.in_(codes)
    )


def _through(child: type, codes: tuple[str, ...]):
    """SQL on a child: one of its parents is in the scope."""
    return sa.or_(*(column.in_(_ids(parent, codes)) for column, parent in _children()[child]))


def _model_of(table: sa.Table) -> type:
    return next(m.class_ for m in db.Model.registry.mappers if m.local_table is table)


@functools.cache
def _children() -> dict[type, tuple[tuple[sa.orm.InstrumentedAttribute, type], ...]]:
    """The child records with no county of their own, scoped through the parent they cannot
    exist without, as each model names its foreign keys in `__scoped_through__`: a claim, its
    evidence or an objection through the declaration, a person's titles, employments, late
    years, activation codes and requests through the person (a move also through the unit it
    goes to), a print through its certificate, a qualified list's row through its plan.
    Fetched by id while the parent is out of scope they are not found (404), like the parent,
    instead of loading with a parent that is not there. (Found in the mappers, so that this
    lowest layer imports none of the models above it.)"""
    found = {}
    for mapper in db.Model.registry.mappers:
        links = []
        for name in getattr(mapper.class_, "__scoped_through__", ()):
            (key,) = mapper.local_table.c[name].foreign_keys
            links.append((getattr(mapper.class_, name), _model_of(key.column.table)))
        if links:
            found[mapper.class_] = tuple(links)
    return found


@functools.cache
def _person() -> type:
    """The model FormerJurisdiction hands on (the person), found by its foreign key."""
    (key,) = FormerJurisdiction.__table__.c.professional_id.foreign_keys
    return _model_of(key.column.table)


def install() -> None:
    if not event.contains(Session, "do_orm_execute", _add_criteria):
        event.listen(Session, "do_orm_execute", _add_criteria)


def install_app(app) -> None:
    install()

    @app.before_request
    def _request_scope():
        from flask_login import current_user

        clear()  # a scope never outlives its request (a test client reuses the thread)
        set_for_user(current_user._get_current_object())

    @app.teardown_request
    def _end_scope(_error=None):
        clear()
