"""Console passwords are argon2id at RFC 9106's low-memory profile, and hashes made with other
parameters are upgraded on the next sign-in (the suite itself hashes with the cheapest
parameters; see ``services`` in conftest.py)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from jobferry.services.accounts.signin import SignInService
from jobferry.services.container import Services
from jobferry.storage import console as repo
from support.console import PASSWORD, admin_actor


def test_production_hashing_is_argon2id_at_the_rfc_9106_low_memory_profile(
    services: Services,
) -> None:
    hasher = SignInService(services.db, services.settings).hasher
    assert hasher.time_cost == RFC_9106_LOW_MEMORY.time_cost
    assert hasher.memory_cost == RFC_9106_LOW_MEMORY.memory_cost
    assert hasher.parallelism == RFC_9106_LOW_MEMORY.parallelism
    assert hasher.type == RFC_9106_LOW_MEMORY.type


def test_a_hash_with_older_parameters_is_upgraded_on_sign_in(services: Services) -> None:
    actor = admin_actor(services)
    services.signin.set_password(actor, "admin", PASSWORD)  # the suite's cheap parameters
    production = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
    services.signin.hasher = production
    services.signin.authenticate(actor.project_id, "admin", PASSWORD)
    with services.db.transaction(readonly=True) as tx:
        record = repo.sign_in_record(tx, actor.project_id, "admin")
    assert record is not None
    assert record.password_hash
    assert not production.check_needs_rehash(record.password_hash)
    assert production.verify(record.password_hash, PASSWORD)
