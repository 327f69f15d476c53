"""The built-in Xero organisation: a Norwegian chart of accounts, its tax rates and currencies."""

from __future__ import annotations

from typing import Any

# TaxType → (display name, rate in percent, status). Norwegian output VAT: 25 % standard,
# 15 % food, 12 % passenger transport / accommodation / events, 0 % zero-rated; plus exempt and
# none, and the 11 % food rate of before 2016, archived (Xero keeps archived rates listed).
TAX_RATES: dict[str, tuple[str, float, str]] = {
    "OUTPUT": ("Utgående mva 25 %", 25.0, "ACTIVE"),
    "OUTPUT15": ("Utgående mva 15 % (næringsmidler)", 15.0, "ACTIVE"),
    "OUTPUT12": ("Utgående mva 12 % (transport, overnatting, arrangement)", 12.0, "ACTIVE"),
    "ZERORATEDOUTPUT": ("Utgående mva 0 % (nullsats)", 0.0, "ACTIVE"),
    "EXEMPTOUTPUT": ("Unntatt mva", 0.0, "ACTIVE"),
    "INPUT": ("Inngående mva 25 %", 25.0, "ACTIVE"),
    "NONE": ("Ingen mva", 0.0, "ACTIVE"),
    "OUTPUT11": ("Utgående mva 11 % (næringsmidler, til 2016)", 11.0, "ARCHIVED"),
}
REPORT_TAX_TYPES = {"INPUT": "INPUT", "NONE": "NONE", "EXEMPTOUTPUT": "EXEMPTOUTPUT"}


def _account(
    code: str,
    name: str,
    type_: str,
    tax_type: str,
    n: int,
    status: str = "ACTIVE",
    payments: bool = False,
    class_: str = "REVENUE",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "AccountID": f"a0000000-0000-4000-8000-{n:012d}",
        "Code": code,
        "Name": name,
        "Type": type_,
        "Status": status,
        "TaxType": tax_type,
        "Class": class_,
        "EnablePaymentsToAccount": payments,
        "ShowInExpenseClaims": False,
        "ReportingCode": "",
        "HasAttachments": False,
        **extra,
    }


ACCOUNTS: list[dict[str, Any]] = [
    _account(
        "090",
        "Business Bank Account",
        "BANK",
        "NONE",
        1,
        payments=True,
        class_="ASSET",
        BankAccountNumber="15032080119",
        BankAccountType="BANK",
        CurrencyCode="NOK",
    ),
    _account(
        "091",
        "Business Savings Account",
        "BANK",
        "NONE",
        2,
        class_="ASSET",
        BankAccountNumber="15032080127",
        BankAccountType="BANK",
        CurrencyCode="NOK",
    ),
    _account("200", "Sales", "REVENUE", "OUTPUT", 3),
    _account("260", "Other Revenue", "REVENUE", "ZERORATEDOUTPUT", 4),
    _account("270", "Interest Income", "REVENUE", "NONE", 5),
    _account("3000", "Salgsinntekt 25 %", "REVENUE", "OUTPUT", 6),
    _account("3010", "Salgsinntekt 15 % (mat)", "REVENUE", "OUTPUT15", 7),
    _account("3020", "Salgsinntekt 12 % (overnatting og transport)", "REVENUE", "OUTPUT12", 8),
    _account("3050", "Salgsinntekt 0 % (nullsats)", "REVENUE", "ZERORATEDOUTPUT", 9),
    _account("3100", "Salgsinntekt utenfor mva-området", "REVENUE", "EXEMPTOUTPUT", 10),
    _account("3900", "Gamle salgsinntekter (arkivert)", "REVENUE", "OUTPUT", 11, status="ARCHIVED"),
    _account("400", "Advertising", "EXPENSE", "INPUT", 12, class_="EXPENSE"),
    _account(
        "610", "Accounts Receivable", "CURRENT", "NONE", 13, class_="ASSET", SystemAccount="DEBTORS"
    ),
    _account(
        "800",
        "Accounts Payable",
        "CURRLIAB",
        "NONE",
        14,
        class_="LIABILITY",
        SystemAccount="CREDITORS",
    ),
    _account(
        "820",
        "Merverdiavgift (VAT)",
        "CURRLIAB",
        "NONE",
        15,
        class_="LIABILITY",
        SystemAccount="GST",
    ),
    _account("877", "Tracking Transfers", "CURRLIAB", "NONE", 16, class_="LIABILITY"),
    _account("880", "Owner Drawings", "EQUITY", "NONE", 17, class_="EQUITY"),
]

CURRENCIES: list[dict[str, Any]] = [
    {"Code": "NOK", "Description": "Norwegian Krone"},
    {"Code": "EUR", "Description": "Euro"},
    {"Code": "SEK", "Description": "Swedish Krona"},
    {"Code": "GBP", "Description": "British Pound"},
    {"Code": "USD", "Description": "United States Dollar"},
]

BASE_CURRENCY = "NOK"


def tax_rate(tax_type: str) -> float | None:
    """The rate in percent of a tax type lines may use; None when the organisation has no such
    type or it is archived (Xero refuses it on a line)."""
    entry = TAX_RATES.get(tax_type)
    return None if entry is None or entry[2] != "ACTIVE" else entry[1]


def tax_rates() -> list[dict[str, Any]]:
    """`GET /TaxRates` as Xero answers it: one TaxRate per tax type, with its one component."""
    rates = []
    for tax_type, (name, rate, status) in TAX_RATES.items():
        rates.append(
            {
                "Name": name,
                "TaxType": tax_type,
                "ReportTaxType": REPORT_TAX_TYPES.get(tax_type, "OUTPUT"),
                "CanApplyToAssets": tax_type in ("INPUT", "NONE"),
                "CanApplyToEquity": tax_type == "NONE",
                "CanApplyToExpenses": tax_type in ("INPUT", "NONE"),
                "CanApplyToLiabilities": tax_type == "NONE",
                "CanApplyToRevenue": tax_type != "INPUT",
                "DisplayTaxRate": rate,
                "EffectiveRate": rate,
                "Status": status,
                "TaxComponents": [
                    {"Name": "MVA", "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}
                ],
            }
        )
    return rates
