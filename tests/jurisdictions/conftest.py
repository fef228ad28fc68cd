"""An instance of two counties of one city (A, the install's; B) and a county of another city."""

import pytest

from portal.extensions import db
from portal.jurisdictions import service as jurisdictions
from portal.jurisdictions.models import JurisdictionLevel
from tests.test_access import world  # noqa: F401 (the access table's world, for test_separation)

A, B, CITY, PROVINCE = "341822", "341821", "341800", "340000"
OTHER_CITY, OTHER_COUNTY = "340100", "340102"


@pytest.fixture
def two_counties(ctx):
    jurisdictions.add(B, "郎溪县", JurisdictionLevel.COUNTY, CITY, "郎溪县人力资源和社会保障局")
    jurisdictions.add(OTHER_CITY, "合肥市", JurisdictionLevel.CITY, PROVINCE)
    jurisdictions.add(OTHER_COUNTY, "瑶海区", JurisdictionLevel.COUNTY, OTHER_CITY)
    db.session.commit()
