"""The one-code benchmark's database: 1,000,000 coded devices, loaded with COPY.

`ensure_database(n)` drops and recreates `platform_bench_onecode`, migrates it
with Flask-Migrate through the real app factory, then loads a few hundred use
units (and some elevator maintenance firms), `n` devices spread over the
catalogue and the regions of the `regions` table, and one active code per
device (`qr.codes.new_code()`, made unique; a code's target is ('equipment', device id)). A database that already holds
exactly `n` coded devices is reused (migrated to head, not reloaded).

The load is one transaction: the secondary indexes of `equipment` and
`codes` are dropped and rebuilt around the COPY (their definitions are
read back from the catalogue, so they come back exactly as the migrations made
them) and foreign-key triggers are skipped for the session
(`session_replication_role = replica`); the generator only writes ids it has
just inserted, and the counts are checked before commit.
"""
from __future__ import annotations

import bisect
import itertools
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import psycopg

DB_NAME = "platform_bench_onecode"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
SQLALCHEMY_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/13"

USE_UNITS = 400
MAINTENANCE_UNITS = 60
SEED = 20261124

# Relative frequency of catalogue codes (registrable, per-device ones; gas cylinders
# and industrial pipelines are registered per unit and carry no device label here).
CATALOGUE_WEIGHTS = {
    "3110": 300, "3120": 25, "3130": 3, "3210": 2, "3220": 1, "3310": 35, "3320": 4, "3410": 1, "3420": 2,
    "3430": 7,
    "2150": 120, "2170": 90, "2130": 40, "2110": 1, "2220": 20, "2230": 5, "2240": 3, "2210": 1, "2410": 1,
    "1100": 15, "1200": 20, "1310": 2, "1320": 3,
    "4110": 25, "4170": 35, "4190": 15, "4210": 10, "4270": 8, "4310": 12, "4860": 12, "4410": 5, "4420": 3,
    "4D00": 15, "4760": 2,
    "5110": 100, "5210": 8,
    "6100": 1, "6200": 1, "6400": 1, "6600": 1, "6A00": 1, "6D20": 1,
    "8210": 10, "8220": 6, "8110": 2, "8120": 3,
    "9110": 0.2, "9120": 0.2,
}
# Share of devices per city (by plate letter); 韩城 (E, treated as a city) shares 渭南's letter.
CITY_WEIGHTS = {"610100": 42, "610200": 2, "610300": 8, "610400": 10, "610500": 7, "610600": 5, "610700": 6,
                "610800": 10, "610900": 4, "611000": 3, "610581": 2}
# Inspection period (years) per kind.
PERIOD_YEARS = {"1000": 1, "2000": 3, "3000": 1, "4000": 2, "5000": 1, "6000": 1, "8000": 3, "9000": 1}
KIND_PRODUCT = {"1000": "锅炉", "2000": "压力容器", "3000": "电梯", "4000": "起重机械", "5000": "场（厂）内机动车辆",
                "6000": "大型游乐设施", "8000": "压力管道", "9000": "客运索道"}
MAKERS = ["西子奥的斯电梯有限公司", "日立电梯（中国）有限公司", "通力电梯有限公司", "三菱电梯有限公司", "迅达（中国）电梯有限公司",
          "西安市特种设备制造有限公司", "陕西化工机械有限公司", "太原重型机械集团有限公司", "杭州叉车集团股份有限公司",
          "宝鸡石油机械有限责任公司", "哈尔滨锅炉厂有限责任公司", "卫华集团有限公司"]
NAME_WORDS = ["华远", "金辉", "绿地", "曲江", "高新", "秦川", "汉唐", "长安", "丝路", "泰华", "中天", "荣华", "秦岭",
              "渭河", "天和", "鼎盛", "德润", "瑞丰", "锦业", "大唐", "永安", "兴盛", "嘉和", "宏远", "博文", "新城"]
UNIT_TYPES = ["物业管理有限公司", "置业有限公司", "化工有限公司", "医院", "商贸有限公司", "热力有限公司", "实业有限公司",
              "机械制造有限公司", "燃气有限公司", "酒店管理有限公司", "学院", "物流有限公司", "购物中心", "钢铁有限责任公司"]
STREETS = ["长安南路", "朱雀大街", "科技路", "锦业路", "凤城八路", "人民路", "建设路", "解放路", "中山大街", "文化路",
           "友谊路", "南二环", "北大街", "东风路", "迎宾大道", "工业园区"]
CONCLUSIONS = ["合格"] * 90 + ["复检合格"] * 7 + ["允许使用"] * 3


def log(message: str) -> None:
    print(f"# {message}", flush=True)


@dataclass
class DataInfo:
    devices: int
    reused: bool
    seconds: float


def app_config(**extra):
    from core.config import Config
    return Config(SQLALCHEMY_DATABASE_URI=SQLALCHEMY_URL, REDIS_URL=REDIS_URL, APP_ENV="development", **extra)


def migrate() -> None:
    """Bring the schema to head through the real app factory and Flask-Migrate."""
    import flask_migrate

    from app import create_app
    from core.extensions import db
    app = create_app(app_config())
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()


def _existing_devices() -> int | None:
    """Coded devices in an existing benchmark database, or None when there is none."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone() is None:
            return None
    try:
        with psycopg.connect(DSN) as conn:
            devices = conn.execute("SELECT count(*) FROM equipment").fetchone()[0]
            coded = conn.execute("SELECT count(*) FROM codes WHERE status = 'active'").fetchone()[0]
    except psycopg.Error:
        return None
    return coded if coded == devices else None


def ensure_database(n: int) -> DataInfo:
    started = time.perf_counter()
    existing = _existing_devices()
    if existing == n:
        try:
            migrate()  # applies any migration added since the load
        except Exception as error:  # e.g. stamped with a revision that no longer exists: load afresh
            log(f"{DB_NAME} holds {n:,} coded devices but does not migrate ({error!r}); recreating it")
        else:
            log(f"reusing {DB_NAME}: it already holds {n:,} coded devices (load skipped)")
            return DataInfo(n, True, time.perf_counter() - started)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    migrate()
    migrated = time.perf_counter()
    log(f"created and migrated {DB_NAME} in {migrated - started:.1f} s; loading {n:,} devices")
    load(n)
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) units, equipment, codes")
    seconds = time.perf_counter() - started
    log(f"loaded {n:,} devices with codes in {time.perf_counter() - migrated:.1f} s")
    return DataInfo(n, False, seconds)


# -- the generator --------------------------------------------------------------------------------


def _weighted(rng: random.Random, population, weights, k: int) -> list:
    return rng.choices(population, weights=weights, k=k)


def _secondary_indexes(cur, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of indexes that back no constraint."""
    return cur.execute(
        """SELECT i.relname, pg_get_indexdef(x.indexrelid)
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
        (table,)).fetchall()


def load(n: int) -> None:
    rng = random.Random(SEED)
    today = date.today()
    now = datetime.now(timezone.utc).isoformat()
    with psycopg.connect(DSN) as conn, conn.cursor() as cur:
        regions = cur.execute("SELECT code, name, level, admin_parent_code, treat_as_city, plate_letter "
                              "FROM regions").fetchall()
        catalogue = {row[0]: row[1:] for row in cur.execute(
            "SELECT code, name, kind_code, cert_symbol FROM catalogue_entries "
            "WHERE registrable AND NOT retired").fetchall()}
        missing = set(CATALOGUE_WEIGHTS) - set(catalogue)
        if missing:
            raise RuntimeError(f"catalogue codes not registrable in this database: {sorted(missing)}")

        # Regions: counties (and the county-level cities treated as cities) weighted by their city.
        by_code = {r[0]: r for r in regions}
        counties = [r for r in regions if r[2] == "county"]
        city_of = {r[0]: (r[0] if r[4] else r[3]) for r in counties}
        plate = {r[0]: (r[5] or by_code[city_of[r[0]]][5] or "A") for r in counties}
        per_city: dict[str, int] = {}
        for r in counties:
            per_city[city_of[r[0]]] = per_city.get(city_of[r[0]], 0) + 1
        county_codes = [r[0] for r in counties]
        county_weights = [CITY_WEIGHTS.get(city_of[c], 1) / per_city[city_of[c]] * rng.uniform(0.5, 1.5)
                          for c in county_codes]
        region_name = {r[0]: r[1] for r in regions}

        # Units: use units (a few hundred) and elevator maintenance firms.
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET maintenance_work_mem = '256MB'")
        unit_rows, use_units, maintainers = [], [], []
        names_seen: set[str] = set()
        unit_regions = _weighted(rng, county_codes, county_weights, USE_UNITS + MAINTENANCE_UNITS)
        for i in range(USE_UNITS + MAINTENANCE_UNITS):
            unit_id = i + 1
            region = unit_regions[i]
            city_name = region_name[city_of[region]]
            maintainer = i >= USE_UNITS
            while True:
                kind_name = "电梯工程有限公司" if maintainer else rng.choice(UNIT_TYPES)
                name = f"{city_name.removesuffix('市')}{rng.choice(NAME_WORDS)}{rng.choice(NAME_WORDS)}{kind_name}"
                if name not in names_seen:
                    names_seen.add(name)
                    break
            unit_rows.append((unit_id, "production" if maintainer else "use",
                              '["maintenance"]' if maintainer else "[]", name,
                              f"9161{unit_id:08d}MA{rng.randrange(10**4):04d}", region,
                              f"{region_name[region]}{rng.choice(STREETS)}{rng.randrange(1, 999)}号",
                              f"029-8{rng.randrange(10**7):07d}", "approved", now, now))
            (maintainers if maintainer else use_units).append((unit_id, region))
        with cur.copy("COPY units (id, kind, production_scopes, name, uscc, region_code, address, contact_phone, "
                      "status, created_at, updated_at) FROM STDIN") as copy:
            for row in unit_rows:
                copy.write_row(row)
        cur.execute("SELECT setval(pg_get_serial_sequence('units', 'id'), %s)", (len(unit_rows),))

        # Devices: secondary indexes dropped during the COPY and rebuilt after it.
        rebuild = []
        for table in ("equipment", "codes"):
            for name, ddl in _secondary_indexes(cur, table):
                cur.execute(f'DROP INDEX "{name}"')
                rebuild.append(ddl)

        cat_codes = list(CATALOGUE_WEIGHTS)
        cats = _weighted(rng, cat_codes, [CATALOGUE_WEIGHTS[c] for c in cat_codes], n)
        unit_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(use_units))]
        unit_picks = _weighted(rng, range(len(use_units)), unit_weights, n)
        cert_serial: dict[tuple[str, int], int] = {}
        county_cum = list(itertools.accumulate(county_weights))
        started = time.perf_counter()

        def device_lines():
            buf = []
            for i in range(n):
                eid = i + 1
                cat = cats[i]
                name, kind, symbol = catalogue[cat]
                unit_id, unit_region = use_units[unit_picks[i]]
                region = unit_region
                if rng.random() < 0.1:  # a site elsewhere in the same city
                    other = county_codes[bisect.bisect(county_cum, rng.random() * county_cum[-1])]
                    if city_of[other] == city_of[unit_region]:
                        region = other
                year = rng.randrange(2004, 2026)
                key = (plate[region], year)
                cert_serial[key] = serial = cert_serial.get(key, 0) + 1
                cert_no = f"{symbol}{cat[1:3]}陕{plate[region]}{serial:05d}({year % 100:02d})"
                r = rng.random()
                use_status = "in_use" if r < 0.95 else ("suspended" if r < 0.99 else "not_in_use")
                period = PERIOD_YEARS[kind] * 365
                r = rng.random()
                if r < 0.01:
                    due = last = None
                else:
                    if r < 0.13:
                        offset = -rng.randrange(1, 366)  # overdue: red
                    elif r < 0.18:
                        offset = rng.randrange(0, 31)  # due within 30 days: yellow
                    else:
                        offset = rng.randrange(31, period + 1)  # in date: green
                    due = today + timedelta(days=offset)
                    last = due - timedelta(days=period)
                elevator = kind == "3000"
                maintenance = str(maintainers[rng.randrange(len(maintainers))][0]) if elevator else "\\N"
                buf.append("\t".join((
                    str(eid), cat, f"{cat}{rng.randrange(10**4):04d}{year}{eid:07d}", cert_no,
                    f"{year}-{rng.randrange(10**5):05d}", KIND_PRODUCT[kind], name, MAKERS[eid % len(MAKERS)],
                    str(unit_id), maintenance,
                    f"{region_name[region]}{rng.choice(STREETS)}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}号楼",
                    region, "t" if elevator and rng.random() < 0.5 else "f", "market", use_status, "registered",
                    f"{year}-{rng.randrange(1, 13):02d}-01", str(rng.choice((8, 10, 15, 20))) if not elevator else "\\N",
                    f"{year}-06-01", (today - timedelta(days=rng.randrange(1, 400))).isoformat()
                    if use_status == "suspended" else "\\N",
                    last.isoformat() if last else "\\N", rng.choice(CONCLUSIONS) if last else "\\N",
                    due.isoformat() if due else "\\N", "定期检验" if due else "\\N", "import", now, now)))
                if len(buf) == 5000:
                    yield ("\n".join(buf) + "\n").encode()
                    buf.clear()
            if buf:
                yield ("\n".join(buf) + "\n").encode()

        with cur.copy("COPY equipment (id, catalogue_code, equipment_code, registration_cert_no, product_serial_no, "
                      "product_name, model_spec, manufacturer_name, use_unit_id, maintenance_unit_id, address, "
                      "region_code, public_place, jurisdiction, use_status, registration_status, manufacture_date, "
                      "design_life_years, put_into_use_date, suspended_on, last_inspection_date, "
                      "last_inspection_conclusion, next_due_date, next_due_type, source, created_at, updated_at) "
                      "FROM STDIN") as copy:
            for chunk in device_lines():
                copy.write(chunk)
        cur.execute("SELECT setval(pg_get_serial_sequence('equipment', 'id'), %s)", (n,))
        copied = time.perf_counter()
        log(f"  equipment: {n:,} rows copied in {copied - started:.1f} s")

        from qr.codes import new_code
        codes: set[str] = set()
        with cur.copy("COPY codes (code, target_type, target_id, status, created_at) FROM STDIN") as copy:
            buf = []
            for i in range(n):
                code = new_code()
                while code in codes:
                    code = new_code()
                codes.add(code)
                buf.append(f"{code}\tequipment\t{i + 1}\tactive\t{now}")
                if len(buf) == 10000:
                    copy.write(("\n".join(buf) + "\n").encode())
                    buf.clear()
            if buf:
                copy.write(("\n".join(buf) + "\n").encode())
        coded = time.perf_counter()
        log(f"  codes: {n:,} codes made and copied in {coded - copied:.1f} s")

        for ddl in rebuild:
            cur.execute(ddl)
        log(f"  {len(rebuild)} secondary indexes rebuilt in {time.perf_counter() - coded:.1f} s")

        # The generator is trusted with foreign keys; check them once, in bulk, before commit.
        orphans = cur.execute(
            """SELECT (SELECT count(*) FROM equipment e LEFT JOIN units u ON u.id = e.use_unit_id
                        WHERE u.id IS NULL)
                    + (SELECT count(*) FROM equipment e LEFT JOIN regions r ON r.code = e.region_code
                        WHERE r.code IS NULL)
                    + (SELECT count(*) FROM equipment e LEFT JOIN catalogue_entries c ON c.code = e.catalogue_code
                        WHERE c.code IS NULL)
                    + (SELECT count(*) FROM codes k LEFT JOIN equipment e ON e.id = k.target_id
                        WHERE k.target_type <> 'equipment' OR e.id IS NULL)""").fetchone()[0]
        if orphans:
            raise RuntimeError(f"generator wrote {orphans} rows with dangling references")
        cur.execute("RESET session_replication_role")
        conn.commit()


# -- what the benchmark reads back -------------------------------------------------------------


def sample_codes(count: int) -> list[str]:
    """`count` distinct active codes, at random over the whole table."""
    with psycopg.connect(DSN) as conn:
        rows = conn.execute("SELECT code FROM codes WHERE status = 'active' "
                            "ORDER BY random() LIMIT %s", (count,)).fetchall()
    return [r[0] for r in rows]


def colour_spread() -> dict[str, int]:
    """How many in-use devices are in date, due soon, overdue or unknown (for the log)."""
    with psycopg.connect(DSN) as conn:
        rows = conn.execute(
            """SELECT CASE WHEN use_status <> 'in_use' THEN 'red'
                           WHEN next_due_date IS NULL THEN 'yellow'
                           WHEN next_due_date < current_date THEN 'red'
                           WHEN next_due_date <= current_date + 30 THEN 'yellow'
                           ELSE 'green' END, count(*)
                 FROM equipment GROUP BY 1""").fetchall()
    return dict(rows)


def label_texts(count: int, public_base_url: str, rescue_phone: str):
    """`count` labels for distinct devices (distinct codes and certificate numbers), as the label job reads them."""
    from qr.codes import code_url
    from qr.render import LabelText
    with psycopg.connect(DSN) as conn:
        rows = conn.execute(
            """SELECT k.code, c.name, c.kind_code, e.registration_cert_no, u.name, e.legacy_use_unit_name
                 FROM codes k
                 JOIN equipment e ON k.target_type = 'equipment' AND e.id = k.target_id
                 JOIN catalogue_entries c ON c.code = e.catalogue_code
                 LEFT JOIN units u ON u.id = e.use_unit_id
                WHERE k.status = 'active' AND e.id > (SELECT max(id) FROM equipment) / 3
                ORDER BY e.id LIMIT %s""", (count,)).fetchall()
    return [LabelText(code, code_url(public_base_url, code), category, cert_no, unit or legacy,
                      rescue_phone if kind == "3000" else None)
            for code, category, kind, cert_no, unit, legacy in rows]
