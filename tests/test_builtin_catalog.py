"""The built-in catalog (scrapers/sources.yaml, the hand-kept core, including the generated scrapers/providers.yaml),
checked offline: kinds, URL forms, no page under two names, every name of a service unique; the README's table of
providers per kind; the deployments that poll it; and the generator that writes it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from flows.catalogs import SelectionError, choose_sources, search
from scrapers import catalog_gen, registry
from scrapers.catalog import DEFAULT_CATALOG, Catalog, load_catalog
from scrapers.catalog_check import audit, page_key

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = DEFAULT_CATALOG.with_name("providers.yaml")
COMPLAINT_KINDS = {"bluesky", "downdetector", "hackernews", "mastodon", "reddit", "report_counts"}


@pytest.fixture(scope="module")
def builtin() -> Catalog:
    return load_catalog()


def test_the_builtin_catalog_has_at_least_750_providers_polled(builtin: Catalog) -> None:
    assert builtin.files == (str(PROVIDERS.resolve()), str(DEFAULT_CATALOG))
    assert len(builtin.sources) >= 750
    assert len({s.service for s in builtin.sources}) >= 750  # providers, not endpoints of a few


def test_every_entry_has_a_known_kind_and_the_url_form_its_kind_needs(builtin: Catalog) -> None:
    known = set(registry.names())
    for source in (*builtin.sources, *builtin.disabled):
        assert source.kind in known, source
        assert source.url.startswith(("https://", "http://")), source
        assert source.service is not None, source
    assert [str(f) for f in audit(builtin)] == []  # no URL form, duplicate page or name finding at all
    for source in builtin.sources:
        if source.kind in ("statuspage", "incidentio", "instatus", "betterstack") and source.file.endswith(
            "providers.yaml"
        ):
            assert re.fullmatch(r"https?://[^/]+", source.url), f"{source.id}: not a page root: {source.url}"
        if source.kind == "statusio":
            assert re.fullmatch(r"https://api\.status\.io/1\.0/status/[0-9a-f]{24}", source.url), source.url


def test_no_page_under_two_names_and_no_name_for_two_services(builtin: Catalog) -> None:
    pages = Counter(page_key(s) for s in builtin.sources)
    assert [p for p, n in pages.items() if n > 1] == []
    assert len({s.id for s in (*builtin.sources, *builtin.disabled)}) == len(builtin.sources) + len(builtin.disabled)
    names = Counter(
        name for s in builtin.services for name in {n.strip().casefold() for n in (s.id, s.name, *s.aliases)}
    )
    assert [n for n, count in names.items() if count > 1] == []


def test_the_core_stands_as_it_was(builtin: Catalog) -> None:
    core = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    for raw in core["sources"]:
        source = builtin.source(raw["id"])
        assert (source.kind, source.url, source.service, source.file) == (
            raw["kind"],
            raw["url"],
            raw["service"],
            str(DEFAULT_CATALOG),
        )
    aliases = {s.id: s for s in builtin.services}
    assert builtin.resolve_service("gh") == "github"
    assert builtin.resolve_service("GCP") == "gcp"
    assert builtin.resolve_service("aws") == "aws"
    assert aliases["aws"].depends_on == ()
    assert builtin.resolve_service("pypi") == "python-package-index"


def test_disabled_entries_say_why_and_are_not_polled(builtin: Catalog) -> None:
    assert builtin.disabled
    for source in builtin.disabled:
        assert source.disabled
        assert source.file.endswith("providers.yaml")
    assert not {s.id for s in builtin.disabled} & {s.id for s in choose_sources(builtin)}
    with pytest.raises(SelectionError, match="is disabled: not readable when the snapshot read it"):
        choose_sources(builtin, only=["3stepit-status"])


def test_choosing_by_name_alias_tag_and_kind(builtin: Catalog) -> None:
    assert [s.id for s in choose_sources(builtin, only=["gh,aws", "1password-status"])] == [
        "1password-status",
        "aws-health",
        "github-status",
    ]
    cloud = choose_sources(builtin, tags=["cloud"])
    assert {"aws-health", "gcp-status", "azure-status", "digitalocean-status"} <= {s.id for s in cloud}
    tagged = {s.id for s in builtin.services if "cloud" in s.tags}
    assert all(s.service in tagged for s in cloud)
    assert {s.kind for s in choose_sources(builtin, tags=["cloud"], kinds=["gcp"])} == {"gcp"}
    with pytest.raises(SelectionError) as info:
        choose_sources(builtin, only=["gihub"], tags=["clod"], kinds=["statuspge"])
    lines = str(info.value).splitlines()
    assert len(lines) == 3
    assert "unknown --only value 'gihub'; did you mean 'github'" in lines[0]
    assert "unknown kind 'statuspge'; did you mean 'statuspage'" in lines[1]
    assert "known: aws_health" in lines[1]
    assert "unknown tag 'clod'; did you mean 'cloud'" in lines[2]
    assert "payments" in lines[2]


def test_search_puts_exact_names_first(builtin: Catalog) -> None:
    found = [service.id for service, _ in search(builtin, "GH")]
    assert found[0] == "github"
    assert len(found) > 1
    payments = [service.id for service, _ in search(builtin, "payments")]
    assert payments
    assert all("payments" in next(s for s in builtin.services if s.id == p).tags for p in payments)
    assert search(builtin, "no-such-provider-anywhere") == []


def test_readme_table_of_providers_per_kind_matches_the_catalog(builtin: Catalog) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- providers-per-kind -->", 2)[1]
    rows = re.findall(r"^\| `(\w+)` \| ([\d,]+) \| ([\d,]+) \|", section, flags=re.M)
    polled = Counter(s.kind for s in builtin.sources)
    disabled = Counter(s.kind for s in builtin.disabled)
    assert {k: (int(p.replace(",", "")), int(d.replace(",", ""))) for k, p, d in rows} == {
        k: (polled[k], disabled[k]) for k in {*polled, *disabled}
    }
    total = re.search(r"^\| \*\*total\*\* \| \*\*([\d,]+)\*\* \| \*\*([\d,]+)\*\* \|", section, flags=re.M)
    assert total is not None
    assert (int(total[1].replace(",", "")), int(total[2].replace(",", ""))) == (
        len(builtin.sources),
        len(builtin.disabled),
    )


def test_every_kind_is_polled_by_exactly_one_ingest_deployment(builtin: Catalog) -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    ingests = [d for d in config["deployments"] if d["entrypoint"] == "flows/ingest.py:ingest"]
    polled_by = Counter(kind for d in ingests for kind in d["parameters"]["kinds"])
    assert dict(polled_by) == dict.fromkeys(registry.names(), 1)
    for deployment in ingests:  # the whole built-in catalog: no deployment narrows it by default
        assert deployment["parameters"].get("only") is None
        assert deployment["parameters"].get("tags") is None
        assert deployment["parameters"]["sources"] is None
    status = next(d for d in ingests if d["name"] == "status-pages")
    assert {s.kind for s in builtin.sources} <= set(status["parameters"]["kinds"]) - COMPLAINT_KINDS


SNAPSHOT = catalog_gen.DEFAULT_SNAPSHOT


@pytest.mark.skipif(not SNAPSHOT.exists(), reason=f"the snapshot is not available ({SNAPSHOT} is absent)")
def test_providers_yaml_is_what_the_generator_writes_from_the_snapshot(tmp_path: Path) -> None:
    assert catalog_gen.build(SNAPSHOT) == PROVIDERS.read_text(encoding="utf-8")
    out = tmp_path / "p.yaml"
    assert catalog_gen.main(["--out", str(out)]) == 0
    assert catalog_gen.main(["--out", str(out), "--check"]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("kind: instatus", "kind: statuspage", 1), encoding="utf-8")
    assert catalog_gen.main(["--out", str(out), "--check"]) == 1


@pytest.mark.skipif(not SNAPSHOT.exists(), reason=f"the snapshot is not available ({SNAPSHOT} is absent)")
def test_generator_facts_against_the_snapshot_read_plainly(builtin: Catalog) -> None:
    import json

    vendors = {v["slug"]: v for v in json.loads(SNAPSHOT.read_text(encoding="utf-8"))["vendors"]}
    platform_kind = {"statuspage": "statuspage", "status.io": "statusio", "instatus": "instatus"}
    platform_kind |= {"betterstack": "betterstack", "incident.io": "incidentio"}
    generated = [s for s in (*builtin.sources, *builtin.disabled) if s.file.endswith("providers.yaml")]
    for source in generated:
        vendor = vendors[source.service or ""]
        if vendor["platform"] in platform_kind:
            assert source.kind == platform_kind[vendor["platform"]], source.id
        assert (source.disabled is not None) == (vendor["error"] is not None or vendor["state"] == "unknown"), source.id
    errors = {slug for slug, v in vendors.items() if v["error"]}
    assert errors <= {s.service for s in builtin.disabled}
