"""Vocabularies and the reference data the generator draws from. Weights are relative, not
probabilities. A vocabulary the contract declares is read from it (cx360/contract/
raw_contract.yml `values`), in the contract's order, which the weights beside it follow."""

from __future__ import annotations

from cx360.contract import load_contract


def _values(table: str, column: str) -> tuple[str, ...]:
    return load_contract()[table].column(column).values


SEGMENTS = _values("crm_customers", "segment")
SEGMENT_WEIGHTS = (0.85, 0.15)

ACQUISITION_CHANNELS = _values("crm_customers", "acquisition_channel")
ACQUISITION_WEIGHTS = (0.30, 0.18, 0.12, 0.10, 0.08, 0.17, 0.05)
REFERRAL_CHANNEL = ACQUISITION_CHANNELS.index("referral")
# Cost of acquiring one customer per channel, EUR; drives marketing_spend (so CAC is realistic).
ACQUISITION_COST_EUR = (45.0, 95.0, 70.0, 60.0, 25.0, 120.0, 15.0)
SALES_SHARE_OF_SPEND = (0.2, 0.6, 0.5, 0.4, 0.1, 0.2, 0.3)

CONTRACT_STATUSES = _values("crm_contracts", "status")
PRODUCTS = ("mobile", "fiber", "tv", "bundle")
PRODUCT_WEIGHTS = (0.40, 0.30, 0.10, 0.20)
PLANS = ("basic", "plus", "premium")
PLAN_WEIGHTS = (0.50, 0.35, 0.15)
# Monthly fee in EUR by product (rows) and plan (columns).
MONTHLY_FEE_EUR = (
    (9.99, 19.99, 34.99),
    (24.99, 34.99, 49.99),
    (14.99, 24.99, 39.99),
    (39.99, 54.99, 79.99),
)
BUSINESS_FEE_FACTOR = 1.6

INVOICE_STATUSES = _values("billing_invoices", "status")
ORDER_STATUSES = _values("billing_orders", "status")
ORDER_STATUS_WEIGHTS = (0.90, 0.06, 0.04)
ORDER_PRODUCTS = ("device", "accessory", "add_on", "shop_item")
ORDER_PRODUCT_WEIGHTS = (0.15, 0.30, 0.35, 0.20)
# lognormal median amount in EUR per order product
ORDER_MEDIAN_EUR = (420.0, 35.0, 12.0, 60.0)
ORDER_CHANNELS = ("web", "app", "store", "call_center")
ORDER_CHANNEL_WEIGHTS = (0.40, 0.25, 0.25, 0.10)
# Orders per month of the year (Jan..Dec): Black Friday and Christmas.
ORDER_SEASONALITY = (0.9, 0.8, 0.9, 0.9, 1.0, 0.9, 0.9, 0.8, 1.0, 1.0, 1.8, 2.2)

# Countries of the postal areas, their currency and their share of customers.
COUNTRIES = ("FR", "BE", "CH", "GB", "US")
COUNTRY_CURRENCY = ("EUR", "EUR", "CHF", "GBP", "USD")
CURRENCIES = ("EUR", "CHF", "GBP", "USD")
# EUR per unit at the start of the window; EUR is written too, always 1.0.
FX_START = {"EUR": 1.0, "CHF": 1.05, "GBP": 1.17, "USD": 0.92}
FOREIGN_AREAS = (
    ("BE", "1000", "Bruxelles", 0.05),
    ("CH", "1201", "Geneve", 0.02),
    ("CH", "8001", "Zurich", 0.02),
    ("GB", "SW1A 1AA", "London", 0.04),
    ("US", "10001", "New York", 0.02),
)
# French cities and their departement number; postal areas are <dept><3 digits>.
FRENCH_CITIES = (
    ("Paris", 75),
    ("Marseille", 13),
    ("Lyon", 69),
    ("Toulouse", 31),
    ("Nice", 6),
    ("Nantes", 44),
    ("Montpellier", 34),
    ("Strasbourg", 67),
    ("Bordeaux", 33),
    ("Lille", 59),
    ("Rennes", 35),
    ("Reims", 51),
    ("Toulon", 83),
    ("Grenoble", 38),
    ("Dijon", 21),
    ("Angers", 49),
    ("Nimes", 30),
    ("Clermont-Ferrand", 63),
    ("Le Mans", 72),
    ("Brest", 29),
    ("Tours", 37),
    ("Amiens", 80),
    ("Limoges", 87),
    ("Perpignan", 66),
    ("Metz", 57),
    ("Besancon", 25),
    ("Orleans", 45),
    ("Rouen", 76),
    ("Caen", 14),
    ("Nancy", 54),
)

FIRST_NAMES = (
    "Marie", "Jean", "Camille", "Louis", "Lea", "Hugo", "Chloe", "Lucas", "Emma", "Gabriel",
    "Manon", "Arthur", "Ines", "Jules", "Sarah", "Adam", "Julie", "Nathan", "Alice", "Paul",
    "Clara", "Thomas", "Zoe", "Raphael", "Anna", "Leo", "Eva", "Noah", "Lina", "Tom",
    "Helene", "Nicolas", "Sophie", "Pierre", "Laura", "Antoine", "Margaux", "Maxime", "Juliette",
    "Mohamed",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefevre", "Faure", "Andre", "Mercier", "Blanc", "Guerin", "Boyer", "Garnier",
    "Chevalier", "Francois", "Legrand", "Gauthier", "Garcia",
)  # fmt: skip
CONSUMER_MAIL_DOMAINS = ("example.com", "example.fr", "mail.example.net", "example.org")

# Interactions: channel, its share, the interaction_type it produces, the share of
# outbound contacts, and the median duration in seconds (0 = no duration, e.g. an e-mail).
INTERACTION_CHANNELS = _values("interactions", "channel")
INTERACTION_CHANNEL_WEIGHTS = (0.25, 0.20, 0.12, 0.08, 0.15, 0.08, 0.07, 0.03, 0.02)
INTERACTION_TYPES = (
    "web_session", "app_session", "call", "store_visit", "email", "sms", "chat_session",
    "social_post", "other",
)  # fmt: skip
OUTBOUND_SHARE = (0.0, 0.05, 0.25, 0.0, 0.7, 0.8, 0.05, 0.2, 0.1)
MEDIAN_DURATION_S = (300, 240, 420, 900, 0, 0, 600, 0, 120)
TOUCHPOINTS = _values("interactions", "touchpoint")
TOUCHPOINT_WEIGHTS = (0.15, 0.05, 0.20, 0.25, 0.10, 0.15, 0.03, 0.07)
OUTCOMES = ("resolved", "information_given", "sale", "no_action", "follow_up", "escalated")
OUTCOME_WEIGHTS = (0.30, 0.30, 0.08, 0.20, 0.09, 0.03)

# Tickets
TICKET_CHANNELS = ("call_center", "email", "chat", "web", "app", "store", "social")
TICKET_CHANNEL_WEIGHTS = (0.35, 0.20, 0.15, 0.12, 0.10, 0.05, 0.03)
TICKET_CATEGORIES = _values("support_tickets", "category")
TICKET_CATEGORY_WEIGHTS = (0.12, 0.35, 0.25, 0.22, 0.06)
PRIORITIES = _values("support_tickets", "priority")
PRIORITY_WEIGHTS = (0.25, 0.55, 0.15, 0.05)
# median hours to the first response, by priority
FIRST_RESPONSE_MEDIAN_H = (20.0, 6.0, 2.0, 0.5)
TICKET_STATUSES = _values("support_tickets", "status")

# Network incidents
INCIDENT_TYPES = _values("network_incidents", "incident_type")
INCIDENT_TYPE_WEIGHTS = (0.20, 0.40, 0.30, 0.10)
SEVERITY_WEIGHTS = (0.50, 0.30, 0.15, 0.05)  # severity 1..4
MEDIAN_INCIDENT_HOURS = (2.0, 4.0, 8.0, 16.0)  # by severity

# Surveys: (survey_id, survey_type, [(question_id, text, pillar)], scale_min, scale_max,
# share of answered surveys). Transactional surveys follow an interaction, relationship
# surveys (nps, loyalty, pillar) are sent periodically.
PILLARS = _values("survey_definitions", "pillar")
SURVEYS: tuple[tuple[str, str, tuple[tuple[str, str, str | None], ...], int, int, float], ...] = (
    (
        "S_NPS",
        "nps",
        (("Q1", "How likely are you to recommend us to a friend?", None),),
        0,
        10,
        0.35,
    ),
    ("S_CSAT", "csat", (("Q1", "How satisfied are you with this interaction?", None),), 1, 5, 0.22),
    ("S_CES7", "ces", (("Q1", "How easy was it to get what you needed?", None),), 1, 7, 0.10),
    ("S_CES10", "ces", (("Q1", "How easy was it to handle your request?", None),), 1, 10, 0.05),
    (
        "S_LOYALTY",
        "loyalty",
        (
            ("Q1", "How likely are you to stay with us next year?", None),
            ("Q2", "How likely are you to buy another product from us?", None),
            ("Q3", "How much do you trust us?", None),
        ),
        1,
        5,
        0.13,
    ),
    (
        "S_PILLAR",
        "pillar",
        tuple(
            (f"Q{i + 1}", f"How do you rate us on {pillar.replace('_', ' ')}?", pillar)
            for i, pillar in enumerate(PILLARS)
        ),
        0,
        10,
        0.15,
    ),
)
EMPLOYEE_SURVEY = (
    "S_EMP",
    "employee",
    (
        ("Q1", "How likely are you to recommend us as an employer?", None),
        ("Q2", "How engaged do you feel in your work?", None),
        ("Q3", "Do you have what you need to help customers?", None),
    ),
    0,
    10,
)
SURVEY_CHANNELS = ("email", "sms", "web", "app")
SURVEY_CHANNEL_WEIGHTS = (0.45, 0.20, 0.20, 0.15)
COMMENTS_LOW = (
    "too expensive",
    "network keeps dropping",
    "nobody answered my call",
    "billing error",
)
COMMENTS_MID = ("ok overall", "could be faster", "average service", "fine but pricey")
COMMENTS_HIGH = ("great service", "very helpful agent", "fast and easy", "love the app")

# Staff
DEPARTMENTS = (
    "support",
    "sales",
    "retention",
    "billing",
    "network_ops",
    "store",
    "marketing",
    "it",
)
DEPARTMENT_WEIGHTS = (0.40, 0.12, 0.08, 0.10, 0.08, 0.12, 0.05, 0.05)
TICKET_DEPARTMENTS = (0, 3, 4)  # support, billing, network_ops handle tickets

# Reviews
REVIEW_SOURCES = _values("product_reviews", "source")
REVIEW_SOURCE_WEIGHTS = (0.40, 0.25, 0.10, 0.25)
REVIEW_TEXTS = (
    "broke after a week",
    "disappointed",
    "does the job",
    "good value",
    "excellent, recommended",
)

MARKETING_CATEGORIES = _values("marketing_spend", "category")

# Weights and per-value figures written here follow a vocabulary read from the contract: a value
# added to (or removed from) the contract must come with its figures.
for _vocabulary, _figures in (
    (SEGMENTS, SEGMENT_WEIGHTS),
    (ACQUISITION_CHANNELS, ACQUISITION_WEIGHTS),
    (ACQUISITION_CHANNELS, ACQUISITION_COST_EUR),
    (ACQUISITION_CHANNELS, SALES_SHARE_OF_SPEND),
    (ORDER_STATUSES, ORDER_STATUS_WEIGHTS),
    (INTERACTION_CHANNELS, INTERACTION_CHANNEL_WEIGHTS),
    (INTERACTION_CHANNELS, OUTBOUND_SHARE),
    (INTERACTION_CHANNELS, MEDIAN_DURATION_S),
    (TOUCHPOINTS, TOUCHPOINT_WEIGHTS),
    (TICKET_CATEGORIES, TICKET_CATEGORY_WEIGHTS),
    (PRIORITIES, PRIORITY_WEIGHTS),
    (PRIORITIES, FIRST_RESPONSE_MEDIAN_H),
    (INCIDENT_TYPES, INCIDENT_TYPE_WEIGHTS),
    (REVIEW_SOURCES, REVIEW_SOURCE_WEIGHTS),
):
    if len(_vocabulary) != len(_figures):
        raise ValueError(
            f"cx360/generate/vocab.py: {len(_figures)} figures for the {len(_vocabulary)} "
            f"contract values {_vocabulary}"
        )
