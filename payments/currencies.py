"""Our own table of currency minor units: ISO 4217, with Stripe's documented exceptions.

This table defines what an amount *means*, so it is data we own, version and test. It is never
read from Babel: Babel's locale data changes between releases (Babel 2.19 gives COP 0 digits,
as Colombians usually write pesos) and a library upgrade must not make a stored amount 100×
larger or a charge 100× smaller. Babel is used only to *format* amounts for display.

- `MINOR_UNITS[code]` is the ISO 4217 exponent: how amounts are stored (`amount_minor`),
  parsed from CSV and typed by people. ISO 4217 list as of amendment 179 (2025).
- `STRIPE_EXPONENT[code]` is how Stripe wants the same amount in its API, where that differs
  from 2 decimals (https://docs.stripe.com/currencies): its zero-decimal and three-decimal
  currencies, and the special cases ISK (zero-decimal in ISO, sent as two decimals with "00"),
  UGX (zero-decimal), MGA (ISO 2, Stripe zero-decimal). HUF and TWD are charged with two
  decimals (their zero-decimal rule applies to payouts only), so they need no entry.

Version: bump `TABLE_VERSION` and add a test whenever a row changes.
"""

from __future__ import annotations

TABLE_VERSION = "2026-11-26"

# ISO 4217 codes whose minor unit is not 2 decimals.
_ISO_NOT_TWO = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
# Every active ISO 4217 currency with 2 decimals (funds codes included; metals excluded).
_ISO_TWO = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN
BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP
LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR
ZMW ZWG
"""

MINOR_UNITS: dict[str, int] = {code: 2 for code in _ISO_TWO.split()}
for _places, _codes in _ISO_NOT_TWO.items():
    MINOR_UNITS.update({code: _places for code in _codes.split()})

# Stripe's exponent where it is not 2 (https://docs.stripe.com/currencies#zero-decimal,
# #three-decimal and #special-cases). Currencies Stripe does not list default to 2.
STRIPE_EXPONENT: dict[str, int] = {
    **{code: 0 for code in
       "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()},
    **{code: 3 for code in "BHD JOD KWD OMR TND".split()},
    "ISK": 2,  # zero-decimal, but Stripe keeps a two-decimal representation ("500" = 5 ISK)
}

# How amounts are usually *shown* where that differs from the minor unit: Colombian bills,
# bank apps and shops write pesos without cents. A non-zero minor part is always shown.
HIDE_ZERO_MINOR_FOR_DISPLAY = frozenset({"COP"})


def minor_units(code: str) -> int | None:
    """The ISO 4217 exponent of `code`, or None for a code we do not know."""
    return MINOR_UNITS.get(code)


def stripe_exponent(code: str) -> int:
    return STRIPE_EXPONENT.get(code, 2)
