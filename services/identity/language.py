"""The language a cabinet stored: the one mail and SMS speak while the customer is away."""

from __future__ import annotations

from models.cabinet import Cabinet
from services.errors import InvalidInput
from services.texts import LANGUAGES, t


async def set_language(cabinet: Cabinet, language: str) -> None:
    """The language the customer chose in the header: mail and SMS sent while they are away speak it too."""
    if language not in LANGUAGES:
        raise InvalidInput({'language': t('error.unexpected')})
    if cabinet.language != language:
        cabinet.language = language
        await cabinet.save(update_fields=['language'])
