"""Exit 0 when the PostgreSQL server in argv[1] accepts connections (used by scripts/test.sh)."""

import asyncio
import sys

import asyncpg


async def main(url: str) -> int:
    try:
        connection = await asyncpg.connect(f'{url}/postgres', timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return 1
    await connection.close()
    return 0


sys.exit(asyncio.run(main(sys.argv[1])))
