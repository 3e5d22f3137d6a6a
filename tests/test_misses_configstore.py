"""SEC007 in code: a secret-like key read from a Fastly Config Store / Edge Dictionary (JavaScript, Rust, Go).
Non-secret keys (`origin_host`, `feature_flags`) stay silent."""

from __future__ import annotations

from conftest import found, make_repo, run_scan

JS_APP = {
    "fastly.toml": 'manifest_version = 3\nname = "edge"\nlanguage = "javascript"\n',
    "package.json": '{"name": "edge", "dependencies": {"@fastly/js-compute": "3.30.0"}}\n',
}

JS_SECRET = """\
import { ConfigStore } from "fastly:config-store";
import { Dictionary } from "fastly:dictionary";

addEventListener("fetch", (event) => event.respondWith(handle(event)));

async function handle(event) {
  const store = new ConfigStore("settings");
  const token = store.get("api_token");
  const legacy = new Dictionary("legacy").get("signing_secret");
  return new Response(token && legacy ? "configured" : "missing");
}
"""

JS_PLAIN = """\
import { ConfigStore } from "fastly:config-store";

addEventListener("fetch", (event) => event.respondWith(handle(event)));

async function handle(event) {
  const store = new ConfigStore("settings");
  const host = store.get("origin_host");
  const flags = new ConfigStore("settings").get("feature_flags");
  const params = new URL(event.request.url).searchParams;
  const token = params.get("api_token");
  return new Response(`${host} ${flags} ${token ? 1 : 0}`);
}
"""

RUST_APP = {
    "fastly.toml": 'manifest_version = 3\nname = "edge"\nlanguage = "rust"\n',
    "Cargo.toml": '[package]\nname = "edge"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nfastly = "0.11"\n',
}

RUST_SRC = """\
use fastly::{ConfigStore, Dictionary, Error, Request, Response};

#[fastly::main]
fn main(_req: Request) -> Result<Response, Error> {
    let jwt = ConfigStore::open("auth").get("jwt_secret");
    let creds = Dictionary::open("aws");
    let key = creds.get("secret_access_key");
    let host = ConfigStore::open("auth").get("origin_host");
    let flags = Dictionary::open("aws").get("feature_flags");
    Ok(Response::from_body(format!("{} {} {:?} {:?}", jwt.is_some(), key.is_some(), host, flags)))
}
"""

GO_APP = {
    "fastly.toml": 'manifest_version = 3\nname = "edge"\nlanguage = "go"\n',
    "go.mod": "module edge\n\ngo 1.22\n\nrequire github.com/fastly/compute-sdk-go v1.3.3\n",
}

GO_SRC = """\
package main

import (
	"context"
	"fmt"

	"github.com/fastly/compute-sdk-go/configstore"
	"github.com/fastly/compute-sdk-go/fsthttp"
)

func main() {
	fsthttp.ServeFunc(func(ctx context.Context, w fsthttp.ResponseWriter, r *fsthttp.Request) {
		store, _ := configstore.Open("settings")
		secret, _ := store.Get("webhook_secret")
		host, _ := store.Get("origin_host")
		fmt.Fprint(w, len(secret), host)
	})
}
"""


def test_sec007_js_config_store_and_dictionary_secret_keys(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {**JS_APP, "src/index.js": JS_SECRET}))
    assert found(result, "SEC007") == [("SEC007", "src/index.js", 8), ("SEC007", "src/index.js", 9)]
    f = next(f for f in result.findings if f.code == "SEC007")
    assert '"api_token"' in f.message


def test_sec007_js_non_secret_keys_stay_silent(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {**JS_APP, "src/index.js": JS_PLAIN}))
    assert found(result, "SEC007") == []


def test_sec007_rust_chained_open_get(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {**RUST_APP, "src/main.rs": RUST_SRC}))
    assert found(result, "SEC007") == [("SEC007", "src/main.rs", 5), ("SEC007", "src/main.rs", 7)]


def test_sec007_go_configstore_get(tmp_path):
    result = run_scan(make_repo(tmp_path / "r", {**GO_APP, "main.go": GO_SRC}))
    assert found(result, "SEC007") == [("SEC007", "main.go", 14)]
