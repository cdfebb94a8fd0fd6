"""The fixed vocabularies shared by partners' ICPs, leads and listings."""

ROLES = ("owner", "admin", "user")
PARTNER_STATUSES = ("pending_verification", "onboarding", "active", "suspended")

COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+")
SENIORITIES = ("c_level", "vp", "director", "manager", "individual")
# The currencies a lead's deal (and so a listing) may be in, as ISO 4217 codes in lower case.
CURRENCIES = ("usd", "eur", "gbp", "cad", "aud")
DEAL_STATUSES = ("new", "scheduled", "in_touch", "won", "lost_no_show", "lost_disqualified",
                 "lost_no_potential")

# Industry keys are lower-case slugs so filters and ICP matching compare exactly.
INDUSTRIES = (
    "advertising", "agriculture", "automotive", "banking", "biotech", "construction",
    "consulting", "consumer_goods", "cybersecurity", "ecommerce", "education", "energy",
    "financial_services", "fintech", "food_beverage", "government", "healthcare",
    "hospitality", "insurance", "legal", "logistics", "manufacturing", "media",
    "nonprofit", "pharmaceuticals", "real_estate", "retail", "saas", "software",
    "telecommunications", "travel", "other",
)

# ISO 3166-1 alpha-2, the officially assigned codes.
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
