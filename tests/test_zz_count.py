import collections
from sqlalchemy import event
from tests.harness import BotHarness
from tests.test_records_e2e import people, save_opening, EMPLOYER
from tests.records_helpers import start_opening, walk, EMPLOYER_OPENING

async def test_count(harness: BotHarness, api) -> None:
    await people(harness)
    stmts = collections.Counter()
    eng = harness.runtime.engine.sync_engine
    def before(conn, cursor, statement, parameters, context, executemany):
        stmts[statement.split('\n')[0][:110]] += 1
    event.listen(eng, "before_cursor_execute", before)
    n0 = len(api.calls)
    first = await start_opening(harness, EMPLOYER)
    summary = await walk(harness, EMPLOYER, first, EMPLOYER_OPENING)
    await harness.press(EMPLOYER, summary, "저장")
    calls = collections.Counter(c.method for c in api.calls[n0:])
    print("\nAPI calls", calls)
    for k, v in stmts.most_common(): print(v, k)
    print("total", sum(stmts.values()))
