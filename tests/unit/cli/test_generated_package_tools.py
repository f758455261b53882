"""Generated stories of the offline package tools (``support/package_tool_stories.py``):
packages exported by jobferry's own writer from a source workspace that changes between
exports, then signed, signed again with another key, harmed on their way (an entry altered,
added, removed or renamed, ``manifest.json`` or ``manifest.sig`` edited, the signature taken
out, the zip cut short, a path twice, a path climbing out of the package) or transformed (a
profile, a time-zone move; signed or not), and the tools run on each through the CLI in-process,
with and without ``--json``. After every step, whatever the story, they keep the promises of
docs/cli.md (``package …`` and the exit-code table) and docs/errors.md
(``support/package_tool_model.py`` says them):

- ``package verify`` says the signature's state (``valid``, ``untrusted``, ``invalid``,
  ``unsigned``) and the signing key's id, and exits 3 exactly when the table says: a package
  refused, no ``manifest.json``, an invalid signature, keys given (``--key``) that did not sign
  it, ``--require-signed`` not met; else 0;
- a package the reader refuses is refused by every tool (``inspect``, ``verify``, ``diff``,
  ``sign``, ``transform``) with exit 3 and ``DLF.9020``, its message naming the entry, the rule
  and the fix;
- ``package inspect`` lists exactly the objects the package holds (kind, name, path) and
  whether it carries ``manifest.sig``;
- ``package diff`` of two packages lists every object of either exactly once as added, removed,
  renamed (matched by stable identifier), changed or same, with exactly the fields that differ;
  of a package with itself, every object ``same``, ``identical``, exit 0;
- ``package keygen`` writes ``NAME.pem`` (0600) and ``NAME.pub`` with the key it names, and
  replaces them only with ``--force`` (exit 2, the files kept);
- ``package sign`` → ``verify --key NAME.pub`` round-trips with the key's id; signing again
  with another key replaces the signature; a package without a manifest is refused;
- ``package transform`` writes a package ``verify`` accepts, unsigned or signed with
  ``--sign-key``, whose objects are what the profile (or the zone move) makes of the source's;
  asked to sign what it writes of a package without a manifest, it is refused as ``sign`` is;
- no tool writes into its input (but ``sign`` without ``-o``, in place as documented), and a
  refused command leaves no file behind (no output, no ``.part``).
"""

from __future__ import annotations

import hashlib
import json
import stat
import tempfile
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import event, example, given, note

from jobferry.package.layout import Layout, entry_path
from jobferry.package.signature import key_id_of
from support.builders import make_job, make_script
from support.cli import invoke
from support.import_stories import generated
from support.package_tool_model import (
    PROFILE,
    ZONE,
    Key,
    Model,
    Obj,
    Pkg,
    Refusal,
    expected_diff,
    top_field,
    transformed,
)
from support.package_tool_stories import (
    SLIP,
    STOWAWAY,
    Step,
    ToolStory,
    canonical,
    entry_bytes,
    rewritten,
    tool_stories,
    written,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories the test tells (JOBFERRY_FUZZ_EXAMPLES=150 and a ``--hypothesis-seed`` for a longer
run)."""
KEYS = ("k0", "k1")


def _object(kind: str, name: str, uid: str, document: dict[str, Any]) -> Obj:
    return Obj(kind, name, uid, document, entry_path(Layout.SINGLE, kind, name))


class Teller:
    """A story being told in a folder of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.model = Model()
        self.uids = 0
        for name in ("daily", "weekly"):
            self._add_job(name)

    # -- running a tool ---------------------------------------------------------------------

    def _files(self) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.folder.iterdir())
        }

    def run(self, *args: str, code: int | None = None, writes: tuple[str, ...] = ()) -> Any:
        """``jobferry package <args>``: its result, checking that it wrote only ``writes``
        (new or replaced) and those only when it exited 0."""
        before = self._files()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = invoke(["package", *args])
        note(f"package {' '.join(args)} → {result.exit_code}")
        assert "Traceback" not in result.output, result.output
        if code is not None:
            assert result.exit_code == code, (args, result.stdout, result.stderr)
        after = self._files()
        allowed = set(writes) if result.exit_code == 0 else set()
        assert after.keys() - before.keys() <= allowed, (args, after.keys() - before.keys())
        for name, sha in before.items():
            if name not in allowed:
                assert after.get(name) == sha, f"{' '.join(args)} changed {name}"
        return result

    def path(self, pkg: Pkg | str) -> str:
        return str(self.folder / (pkg if isinstance(pkg, str) else pkg.file))

    def json(self, *args: str, code: int, writes: tuple[str, ...] = ()) -> dict[str, Any]:
        result = self.run(*args, "--json", code=code, writes=writes)
        value: dict[str, Any] = json.loads(result.stdout)
        return value

    # -- the source workspace ---------------------------------------------------------------

    def _uid(self) -> str:
        self.uids += 1
        return f"uid-{self.uids}"

    def _add_job(self, name: str) -> None:
        source = self.model.source
        script = f"{name}_sql"
        source[("script", script)] = _object("script", script, self._uid(), make_script(script))
        job = make_job(name)
        for node in job["nodes"]:
            node["properties"] = [p for p in node["properties"] if p["name"] != "scriptName"] + [
                {"name": "scriptName", "value": script}
            ]
        source[("job", name)] = _object("job", name, self._uid(), job)

    def evolve(self, verb: str, pick: int) -> None:
        source = self.model.source
        keys = sorted(source)
        if verb == "add" or not keys:
            self._add_job(f"job{self.uids}")
            return
        key = keys[pick % len(keys)]
        obj = source[key]
        if verb == "change":
            field = "content" if obj.kind == "script" else "directory"
            document = {**obj.document, field: f"{obj.document.get(field)}_{self.uids}"}
            source[key] = _object(obj.kind, obj.name, obj.uid, document)
            self.uids += 1
        elif verb == "rename":
            name = f"{obj.name}_r{self.uids}"
            self.uids += 1
            del source[key]
            source[(obj.kind, name)] = _object(
                obj.kind, name, obj.uid, {**obj.document, "name": name}
            )
        elif verb == "take":  # another of its kind deleted, this one renamed to its name
            other = next((k for k in keys if k[0] == obj.kind and k != key), None)
            if other is None:
                return
            del source[key], source[other]
            source[other] = _object(obj.kind, other[1], obj.uid, {**obj.document, "name": other[1]})
        elif verb == "delete":
            del source[key]
        else:  # reuse: another object under the same name
            source[key] = _object(obj.kind, obj.name, self._uid(), dict(obj.document))

    def export(self, manifest: bool) -> Pkg:
        model = self.model
        if not model.source:
            self._add_job(f"job{self.uids}")
        file = model.next_file("export")
        objects = sorted(model.source.values(), key=lambda o: o.path)
        entries = [(o.path, o.kind, o.name, o.uid, orjson.dumps(o.document)) for o in objects]
        (self.folder / file).write_bytes(written(entries, manifest))
        pkg = Pkg(file, {(o.kind, o.name): o for o in objects}, manifest)
        model.packages[file] = pkg
        return pkg

    # -- keys -------------------------------------------------------------------------------

    def keygen(self, which: int, force: bool) -> None:
        name = KEYS[which]
        stem = self.folder / name
        exists = name in self.model.keys
        files = (f"{name}.pem", f"{name}.pub")
        flags = ("--force",) if force else ()
        if exists and not force:
            refused = self.run("keygen", str(stem), code=2)
            assert "--force" in refused.stderr
            return
        made = self.json("keygen", str(stem), *flags, code=0, writes=files)
        public = (self.folder / f"{name}.pub").read_text().strip()
        assert made["publicKey"] == public
        assert made["keyId"] == key_id_of(public)
        assert stat.S_IMODE((self.folder / f"{name}.pem").stat().st_mode) == 0o600
        self.model.keys[name] = public

    def _key(self, which: int) -> str:
        name = KEYS[which]
        if name not in self.model.keys:
            self.keygen(which, False)
        return name

    # -- signing ----------------------------------------------------------------------------

    def sign(self, pkg: Pkg, which: int, in_place: bool) -> None:
        name = self._key(which)
        target = pkg.file if in_place else self.model.next_file("signed")
        args = ("sign", self.path(pkg), "--key", self.path(f"{name}.pem"))
        if not in_place:
            args += ("-o", self.path(target))
        public = self.model.keys[name]
        no_manifest = Refusal("signature.no_manifest", ("manifest.json",))
        refusal = pkg.refusal or (None if pkg.manifest else no_manifest)
        if refusal is not None:
            self.refused(refusal, *args)
            return
        signed = self.json(*args, code=0, writes=(target,))
        assert signed["keyId"] == key_id_of(public)
        assert signed["state"] == "valid"
        self.model.packages[target] = pkg.copy(target, signer=public, broken_signature=False)
        if in_place:
            pkg.signer, pkg.broken_signature = public, False

    def refused(self, refusal: Refusal, *args: str, entry_named: bool = True) -> None:
        """The command refused with exit 3 and ``DLF.9020``, naming the entries, the rule and
        a fix; the same without ``--json``."""
        answer = self.json(*args, code=3)["error"]
        assert answer["code"] == "DLF.9020", answer
        assert answer["rule"] == refusal.rule, (answer, refusal)
        message = answer["message"]
        assert message.endswith(f"(rule {refusal.rule}).")
        problem, _, fix = message.rpartition("; ")
        assert problem, message  # what is wrong…
        assert fix, message  # …and what to do
        for entry in refusal.entries:
            assert f"'{entry}'" in message, (entry, message)
        human = self.run(*args, code=3)
        assert "DLF.9020" in human.stderr
        if refusal.entries:
            assert refusal.entries[0] in human.stderr

    # -- harms ------------------------------------------------------------------------------

    def harm(self, pkg: Pkg, harm: str, pick: int) -> Pkg | None:
        if pkg.refusal is not None:  # harmed already: the first refusal is the one said
            return None
        data = (self.folder / pkg.file).read_bytes()
        paths = sorted(o.path for o in pkg.objects.values())
        entry = paths[pick % len(paths)] if paths else None
        by_path = {o.path: k for k, o in pkg.objects.items()}
        file = self.model.next_file(harm)
        new = pkg.copy(file)
        changed = _harmed(data, harm, entry, pkg, new, by_path)
        if changed is None:
            return None
        (self.folder / file).write_bytes(changed)
        self.model.packages[file] = new
        event(f"harm {harm}: {new.refusal.rule if new.refusal else 'read'}")
        return new

    # -- transform --------------------------------------------------------------------------

    def transform(self, pkg: Pkg, mode: str, which: int | None) -> None:
        target = self.model.next_file(f"to_{mode}")
        args: tuple[str, ...] = ("transform", self.path(pkg))
        if mode == "profile":
            profile = self.folder / "prod.json"
            if not profile.exists():
                profile.write_text(json.dumps(PROFILE), encoding="utf-8")
            args += ("--profile", str(profile))
        else:
            args += ("--timezone", ZONE, "--keep-wall-clock")
        signer = None
        if which is not None:
            name = self._key(which)
            args += ("--sign-key", self.path(f"{name}.pem"))
            signer = self.model.keys[name]
        args += ("-o", self.path(target))
        no_manifest = Refusal("signature.no_manifest", ("manifest.json",))
        refusal = pkg.refusal or (no_manifest if signer is not None and not pkg.manifest else None)
        if refusal is not None:  # nothing to sign without one: the signature covers the manifest
            self.refused(refusal, *args)
            return
        view = self.json(*args, code=0, writes=(target,))
        assert view["signed"] is (signer is not None)
        objects = {
            key: _object(o.kind, o.name, o.uid, transformed(o.document, mode))
            for key, o in pkg.objects.items()
        }
        made = Pkg(target, objects, pkg.manifest, signer)
        self.model.packages[target] = made
        got = self.read_objects(made)
        for key, obj in objects.items():
            assert got[key] == obj.document, (key, got[key], obj.document)

    def read_objects(self, pkg: Pkg) -> dict[Key, dict[str, Any]]:
        """The package's definitions as its zip holds them."""
        data = (self.folder / pkg.file).read_bytes()
        return {key: json.loads(entry_bytes(data, o.path)) for key, o in pkg.objects.items()}

    # -- checks -----------------------------------------------------------------------------

    def check(self, pkg: Pkg) -> None:
        """verify (no key, each key, both, --require-signed), inspect, diff with itself."""
        keys = [(), *((n,) for n in self.model.keys), tuple(self.model.keys)]
        for names in keys:
            for require in (False, True):
                self.check_verify(pkg, names, require, json_mode=not (require and names))
        if pkg.refusal is not None:
            self.refused(pkg.refusal, "inspect", self.path(pkg))
            self.refused(pkg.refusal, "diff", self.path(pkg), self.path(pkg))
            return
        view = self.json("inspect", self.path(pkg), code=0)
        listed = sorted((o["kind"], o["name"], o["path"]) for o in view["objects"])
        assert listed == sorted((o.kind, o.name, o.path) for o in pkg.objects.values())
        assert view["signed"] is pkg.signed
        assert (view["manifest"] is not None) is pkg.manifest
        human = self.run("inspect", self.path(pkg), code=0)
        for obj in pkg.objects.values():
            assert obj.path in human.stdout
        same = self.json("diff", self.path(pkg), self.path(pkg), code=0)
        assert same["identical"] is True
        assert sorted((o["kind"], o["name"], o["status"]) for o in same["objects"]) == sorted(
            (k, n, "same") for k, n in pkg.objects
        )

    def check_verify(
        self, pkg: Pkg, names: tuple[str, ...], require: bool, json_mode: bool
    ) -> None:
        args: list[str] = ["verify", self.path(pkg)]
        for name in names:
            args += ["--key", self.path(f"{name}.pub")]
        if require:
            args.append("--require-signed")
        if pkg.refusal is not None:
            if json_mode:
                self.refused(pkg.refusal, *args)
            return
        trusted = tuple(self.model.keys[n] for n in names)
        code = pkg.verify_exit(trusted, require)
        if not json_mode:
            said = self.run(*args, code=code).stdout
            state = pkg.state(trusted)
            assert f"signature: {state}" in " ".join(said.split()), said
            assert (" failed verification " in said) is (code == 3)
            return
        view = self.json(*args, code=code)
        assert view["ok"] is (code == 0)
        assert view["manifest"] is pkg.manifest
        assert view["signature"]["state"] == pkg.state(trusted), (view, pkg)
        if pkg.key_id() is not None:
            assert view["signature"]["keyId"] == pkg.key_id()
        if pkg.manifest:
            assert view["entriesVerified"] == len(pkg.objects)

    def check_diff(self, before: Pkg, after: Pkg) -> None:
        """``diff before after``: exactly the model's lines (each object once), exit 0."""
        view = self.json("diff", self.path(before), self.path(after), code=0)
        got = sorted(
            (
                o["status"],
                o["kind"],
                o["name"],
                o.get("previousName"),
                tuple(sorted({top_field(c["path"]) for c in o.get("diff", [])})),
            )
            for o in view["objects"]
        )
        want = sorted(
            (line.status, line.kind, line.name, line.previous, tuple(sorted(line.fields)))
            for line in expected_diff(before, after)
        )
        assert got == want, (before.file, after.file)
        counts: dict[str, int] = {}
        for line in want:
            counts[line[0]] = counts.get(line[0], 0) + 1
        assert {k: v for k, v in view["summary"].items() if v} == counts
        human = self.run("diff", self.path(before), self.path(after), code=0)
        for line in expected_diff(before, after):
            if line.status != "same":
                assert line.name in human.stdout, (line, human.stdout)

    # -- a story ----------------------------------------------------------------------------

    def tell(self, story: ToolStory) -> None:
        self.check(self.export(story.manifest))
        for step in story.steps:
            self.step(step)

    def step(self, step: Step) -> None:
        model = self.model
        made: Pkg | None = None
        if step.what == "export":
            made = self.export(*step.args)
        elif step.what == "evolve":
            self.evolve(*step.args)
        elif step.what == "keygen":
            self.keygen(*step.args)
        else:
            files = list(model.packages)
            pkg = model.packages[files[step.args[0] % len(files)]]
            count = len(model.packages)
            if step.what == "sign":
                self.sign(pkg, *step.args[1:])
            elif step.what == "harm":
                self.harm(pkg, *step.args[1:])
            else:
                self.transform(pkg, *step.args[1:])
            made = list(model.packages.values())[-1] if len(model.packages) > count else pkg
        if made is None:
            return
        self.check(made)
        readable = model.readable()
        if made.refusal is None and len(readable) > 1:
            others = [p for p in readable if p.file != made.file]
            self.check_diff(others[-1], made)
            self.check_diff(made, others[0])


def _harmed(
    data: bytes, harm: str, entry: str | None, pkg: Pkg, new: Pkg, by_path: dict[str, Key]
) -> bytes | None:
    """The zip ``data`` harmed so, ``new`` (a copy of ``pkg``) changed as the model says
    (``None``: this harm does not apply to this package)."""
    if harm in ("alter", "remove", "rename", "duplicate") and entry is None:
        return None
    if harm == "alter":
        assert entry is not None
        document = {**json.loads(entry_bytes(data, entry)), "description": "changed on the way"}
        key = by_path[entry]
        if pkg.manifest:
            new.refusal = Refusal("manifest.size", (entry,))
        else:
            obj = pkg.objects[key]
            new.objects[key] = Obj(obj.kind, obj.name, obj.uid, document, obj.path)
        return rewritten(data, {entry: json.dumps(document).encode()})
    if harm == "add":
        if pkg.manifest:
            new.refusal = Refusal("manifest.unlisted", (STOWAWAY,))
        elif any(o.path == STOWAWAY for o in pkg.objects.values()):
            new.refusal = Refusal("path.duplicate", (STOWAWAY,))
        else:
            new.objects[("job", "stowaway")] = _object("job", "stowaway", "", make_job("stowaway"))
        return rewritten(data, {}, extra=((STOWAWAY, json.dumps(make_job("stowaway")).encode()),))
    if harm == "remove":
        assert entry is not None
        if pkg.manifest:
            new.refusal = Refusal("manifest.missing", (entry,))
        else:
            del new.objects[by_path[entry]]
            if not new.objects:
                new.refusal = Refusal("package.empty")
        return rewritten(data, {entry: None})
    if harm == "rename":
        assert entry is not None
        moved = entry.replace(".", "_moved.", 1)
        if pkg.manifest:
            new.refusal = Refusal("manifest.mismatch", (entry, moved))
        else:
            obj = pkg.objects[by_path[entry]]
            new.objects[by_path[entry]] = Obj(obj.kind, obj.name, obj.uid, obj.document, moved)
        return rewritten(data, {}, rename={entry: moved})
    return _harmed_whole(data, harm, entry, pkg, new)


def _harmed_whole(data: bytes, harm: str, entry: str | None, pkg: Pkg, new: Pkg) -> bytes | None:
    """The harms to the manifest, the signature or the zip itself."""
    if harm == "manifest":
        if not pkg.manifest:
            return None
        manifest = json.loads(entry_bytes(data, "manifest.json"))
        manifest["source"]["workspace"] = "elsewhere"
        new.broken_signature = pkg.signed
        new.signer = None
        return rewritten(data, {"manifest.json": canonical(manifest)})
    if harm == "sig":
        if pkg.signed:
            sig = json.loads(entry_bytes(data, "manifest.sig"))
            # A manifest.sig that never was one (this harm's own "{}") has no signature to
            # garble: it is given a wrong one, and stays invalid.
            signature = str(sig.get("signature") or "")
            sig["signature"] = ("A" if signature[:1] != "A" else "B") + signature[1:]
            new.broken_signature, new.signer = True, None
            return rewritten(data, {"manifest.sig": canonical(sig)})
        if pkg.manifest:
            new.broken_signature = True
        else:
            new.refusal = Refusal("manifest.missing", ("manifest.json",))
        return rewritten(data, {}, extra=(("manifest.sig", b"{}\n"),))
    if harm == "strip":
        new.signer, new.broken_signature = None, False
        return rewritten(data, {"manifest.sig": None})
    if harm == "truncate":
        new.refusal = Refusal("zip.invalid")
        return data[: len(data) // 2]
    if harm == "duplicate":
        assert entry is not None
        new.refusal = Refusal("path.duplicate", (entry,))
        return rewritten(data, {}, extra=((entry, entry_bytes(data, entry)),))
    new.refusal = Refusal("path.traversal", (SLIP,))
    return rewritten(data, {}, extra=((SLIP, json.dumps(make_job("evil")).encode()),))


@GENERATED
@given(told=tool_stories())
@example(told=ToolStory(True, (Step("evolve", ("take", 0)), Step("export", (True,)))))
@example(told=ToolStory(True, (Step("harm", (0, "sig", 0)), Step("harm", (1, "sig", 0)))))
def test_package_tool_stories_keep_the_cli_s_promises(told: ToolStory) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Teller(Path(folder)).tell(told)
