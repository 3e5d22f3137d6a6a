"""REQ010 on SQL client libraries (`pg`, `mysql2`, Neon, PlanetScale) that a Worker reaches through Hyperdrive or
over TCP: statement text built from request data is reported; bound parameters stay silent."""

from __future__ import annotations

from conftest import found, make_repo, run_scan

WRANGLER = '{ "name": "w", "main": "src/index.ts", "compatibility_date": "2025-01-01" }\n'

CONCAT = """\
import mysql from "mysql2/promise";
import { Client } from "pg";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("name");
    const connection = await mysql.createConnection(env.HYPERDRIVE.connectionString);
    const [rows] = await connection.query("SELECT * FROM users WHERE name = '" + name + "'");
    const client = new Client({ connectionString: env.HYPERDRIVE.connectionString });
    await client.connect();
    const result = await client.query(`SELECT * FROM orders WHERE customer = ${name}`);
    const cfg = await client.query({ text: "SELECT * FROM t WHERE a = '" + name + "'", values: [] });
    return Response.json({ rows, result: result.rows, cfg });
  },
};
"""

BOUND = """\
import mysql from "mysql2/promise";
import pg from "pg";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("name");
    const connection = await mysql.createConnection(env.HYPERDRIVE.connectionString);
    const [rows] = await connection.query("SELECT * FROM users WHERE name = ?", [name]);
    const [more] = await connection.execute("SELECT * FROM users WHERE id = ?", [url.pathname]);
    const pool = new pg.Pool({ connectionString: env.HYPERDRIVE.connectionString });
    const result = await pool.query("SELECT * FROM orders WHERE customer = $1", [name]);
    const cfg = await pool.query({ text: "SELECT * FROM t WHERE a = $1", values: [name] });
    const cached = new Map<string, string>();
    cached.set("q", `SELECT ${name}`);
    return Response.json({ rows, more, result: result.rows, cfg });
  },
};
"""

POOLED = """\
import mysql from "mysql2";

const pool = mysql.createPool({ host: "db.internal" });

export default {
  async fetch(request: Request): Promise<Response> {
    const id = new URL(request.url).searchParams.get("id");
    const conn = await pool.promise().getConnection();
    const [rows] = await conn.execute(`DELETE FROM sessions WHERE id = '${id}'`);
    return Response.json(rows);
  },
};
"""


def test_req010_reports_mysql2_and_pg_statement_text_from_request(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": CONCAT}))
    assert found(result, "REQ010") == [
        ("REQ010", "src/index.ts", 9),
        ("REQ010", "src/index.ts", 12),
        ("REQ010", "src/index.ts", 13),
    ]
    f = next(f for f in result.findings if f.code == "REQ010")
    assert "query parameter `name`" in f.message


def test_req010_follows_a_pool_to_its_connections(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": POOLED}))
    assert found(result, "REQ010") == [("REQ010", "src/index.ts", 9)]


def test_req010_bound_parameters_stay_silent(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": BOUND}))
    assert found(result, "REQ010") == []


POSTGRES_JS = """\
import postgres from "postgres";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const sql = postgres(env.HYPERDRIVE.connectionString);
    const id = new URL(request.url).searchParams.get("id");
    const safe = await sql`SELECT * FROM items WHERE id = ${id}`;
    const unsafe = await sql.unsafe(`SELECT * FROM items WHERE id = ${id}`);
    return Response.json({ safe, unsafe });
  },
};
"""


def test_req010_postgres_js_unsafe_but_not_tagged_template(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {"wrangler.jsonc": WRANGLER, "src/index.ts": POSTGRES_JS}))
    assert found(result, "REQ010") == [("REQ010", "src/index.ts", 8)]
