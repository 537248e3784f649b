"""Generate ``scrapers/providers.yaml``, the generated part of the built-in catalog, from the vendor-status-watch
snapshot (``../shared/catalogs/``, MIT; facts only: vendor, status page URL, platform, page id) and our hand-kept
``catalog_curation.yaml`` (what the snapshot cannot say: core overlaps, bespoke pages, aliases, tags).

    python -m scrapers.catalog_gen                 # rewrite scrapers/providers.yaml
    python -m scrapers.catalog_gen --check         # exit 1 when the file is not what the snapshot gives

Each vendor becomes one service (id: the snapshot's slug) and one source (``<slug>-status``) of the kind its platform
needs, at the URL form that kind reads (the page root; for status.io the API URL of its page id). A vendor the
hand-kept core (``sources.yaml``) already watches is left out, so the core's entry stands; an entry the snapshot could
not read is kept with ``disabled:`` and the snapshot's reason; a platform no kind reads is left out (listed at the end
of the file, with why).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

HERE = Path(__file__).parent
SNAPSHOT_NAME = "vendor-status-watch_snapshot_2026-09-07.json"
DEFAULT_SNAPSHOT = HERE.parent.parent / "shared" / "catalogs" / SNAPSHOT_NAME
CURATION = HERE / "catalog_curation.yaml"
CORE = HERE / "sources.yaml"
OUTPUT = HERE / "providers.yaml"
STATUSIO_API = "https://api.status.io/1.0/status/"


class GenerateError(ValueError):
    """The snapshot or the curation file says something the generator cannot use."""


@dataclass
class Generated:
    services: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (slug, why)


def _tags_by_slug(curation: dict[str, Any], slugs: set[str]) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for tag, members in (curation.get("tags") or {}).items():
        for slug in members:
            if slug not in slugs:
                raise GenerateError(f"{CURATION.name}: tag {tag!r} names {slug!r}, which is not in the snapshot")
            tags.setdefault(slug, []).append(tag)
    return {slug: sorted(set(found)) for slug, found in tags.items()}


def _url(vendor: dict[str, Any], kind: str) -> str:
    if kind == "statusio" and vendor.get("page_id"):
        return STATUSIO_API + str(vendor["page_id"])
    return str(vendor["status_url"]).rstrip("/")


def generate(snapshot: dict[str, Any], curation: dict[str, Any], core_path: Path = CORE) -> Generated:
    vendors = snapshot["vendors"]
    slugs = {v["slug"] for v in vendors}
    for section in ("core", "bespoke", "aliases"):
        for slug in curation.get(section) or {}:
            if slug not in slugs:
                raise GenerateError(f"{CURATION.name}: {section} names {slug!r}, which is not in the snapshot")
    core = yaml.safe_load(core_path.read_text(encoding="utf-8"))  # its own entries only, not what it includes
    core_hosts = {_host(s["url"]) for s in core["sources"]}
    taken = {
        str(name).casefold()
        for service in core["services"]
        for name in (service["id"], service.get("name", service["id"]), *service.get("aliases", []))
    }
    tags = _tags_by_slug(curation, slugs)
    out = Generated()
    for vendor in vendors:
        slug, host = vendor["slug"], _host(vendor["status_url"])
        if slug in (curation.get("core") or {}):
            continue  # the hand-kept core watches it (sources.yaml)
        if host in core_hosts:
            raise GenerateError(f"{slug}: {host} is watched by sources.yaml; map it under 'core' in {CURATION.name}")
        entry = _source(vendor, curation)
        if entry is None:
            continue
        if isinstance(entry, str):
            out.left_out.append((slug, entry))
            continue
        names = [slug, vendor["vendor"], *(curation.get("aliases") or {}).get(slug, [])]
        clash = [n for n in dict.fromkeys(n.casefold() for n in names) if n in taken]
        if clash:
            raise GenerateError(f"{slug}: {', '.join(clash)} already names another service; fix {CURATION.name}")
        taken.update(n.casefold() for n in names)
        service: dict[str, Any] = {"id": slug, "name": vendor["vendor"]}
        if (curation.get("aliases") or {}).get(slug):
            service["aliases"] = list(curation["aliases"][slug])
        if tags.get(slug):
            service["tags"] = tags[slug]
        out.services.append(service)
        disabled = entry.pop("disabled", None)
        out.sources.append({"id": f"{slug}-status", **entry, "service": slug})
        if disabled:
            out.sources[-1]["disabled"] = disabled
    return out


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _source(vendor: dict[str, Any], curation: dict[str, Any]) -> dict[str, Any] | str | None:
    """The source's kind, url (and ``disabled`` reason), or why the vendor is left out."""
    slug, platform, error = vendor["slug"], vendor["platform"], vendor["error"]
    checked = str(vendor["checked_at"])[:10]
    if platform == "bespoke":
        bespoke = (curation.get("bespoke") or {}).get(slug)
        if bespoke is None:
            raise GenerateError(f"{slug}: a bespoke page the curation file does not describe")
        if "left_out" in bespoke:
            return str(bespoke["left_out"])
        return {"kind": bespoke["kind"], "url": bespoke["url"]}
    kind = (curation.get("platforms") or {}).get(platform)
    if kind is None:
        reason = (curation.get("left_out_platforms") or {}).get(platform)
        if reason is None:
            raise GenerateError(f"{slug}: platform {platform!r} is neither mapped nor left out in {CURATION.name}")
        return str(reason)
    entry: dict[str, Any] = {"kind": kind, "url": _url(vendor, kind)}
    if error:
        entry["disabled"] = f"not readable when the snapshot read it on {checked}: {error}"
    elif slug in (curation.get("freshstatus") or []):
        entry["disabled"] = "hosted on Freshstatus, not status.io (the snapshot could not read its state)"
    return entry


def _flow(mapping: dict[str, Any]) -> str:
    """One entry as a YAML flow mapping on one line (the style of sources.yaml)."""
    text = yaml.safe_dump(mapping, default_flow_style=True, sort_keys=False, width=10_000, allow_unicode=False)
    return text.strip()


def render(out: Generated, snapshot: dict[str, Any]) -> str:
    lines = [
        "# GENERATED by `python -m scrapers.catalog_gen`: do not edit by hand (edit scrapers/catalog_curation.yaml or",
        "# scrapers/sources.yaml and generate again). Facts from the vendor-status-watch snapshot of",
        f"# {snapshot['generated_at']} ({SNAPSHOT_NAME}, MIT): vendor, status page URL, platform, page id.",
        "# sources.yaml includes this file; its own entries (the hand-kept core) replace any here with the same id.",
        f"# {len(out.services)} services, {len(out.sources)} sources"
        f" ({sum(1 for s in out.sources if 'disabled' in s)} disabled, with why).",
        "services:",
        *(f"  - {_flow(s)}" for s in out.services),
        "sources:",
        *(f"  - {_flow(s)}" for s in out.sources),
        "# Left out (no kind reads them yet):",
        *(f"#   {slug}: {why}" for slug, why in out.left_out),
    ]
    return "\n".join(lines) + "\n"


def build(snapshot_path: Path = DEFAULT_SNAPSHOT) -> str:
    snapshot = json.loads(snapshot_path.read_text(encoding="utf-8"))
    curation = yaml.safe_load(CURATION.read_text(encoding="utf-8"))
    return render(generate(snapshot, curation), snapshot)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT, help="the vendor-status-watch JSON")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="where to write (default: scrapers/providers.yaml)")
    parser.add_argument("--check", action="store_true", help="only compare with --out; exit 1 when it differs")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        text = build(args.snapshot)
    except (OSError, GenerateError) as exc:
        print(f"catalog_gen: {exc}", file=sys.stderr)
        return 2
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from what the snapshot gives'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
