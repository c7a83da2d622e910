"""A cost estimate of a consumption from the region's tariffs: what the acknowledgement shows, labelled as an
estimate (the bill is billing's)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from models.readings import Tariff
from services.texts import CENT


async def tariffs(region_id: int, day: date) -> dict[int, Tariff]:
    """The tariff of each zone valid on `day`: the latest that starts on or before it."""
    valid = await Tariff.filter(region_id=region_id, valid_from__lte=day).order_by('zone', '-valid_from')
    found: dict[int, Tariff] = {}
    for tariff in valid:
        found.setdefault(tariff.zone, tariff)
    return found


def cost(kwh: Decimal, tariff: Tariff) -> Decimal:
    """`kwh` at the tariff's price, the kWh above its band (when it has one) at the band price; to the kopeck."""
    if tariff.band_kwh is not None and tariff.band_price is not None and kwh > tariff.band_kwh:
        amount = tariff.band_kwh * tariff.price + (kwh - tariff.band_kwh) * tariff.band_price
    else:
        amount = kwh * tariff.price
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
