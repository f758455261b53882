from support.builders import make_job
from support.console import admin_scope


def test_probe(services):
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("ja"))
    jb = make_job("jb")
    jb["schedule"]["cron"]["dependJobs"] = {
        "jobs": [],
        "otherWorkSpaceJobs": [{"workSpace": scope.workspace.name, "jobName": "ja"}],
    }
    services.jobs.create(scope, jb)
    shown = services.jobs.show(scope, "ja", dependencies=True)
    print("downstream", shown.downstream)
    try:
        services.jobs.rename(scope, "ja", "jz")
        print("renamed; jb now", services.jobs.show(scope, "jb").document["schedule"])
    except Exception as e:
        print("rename refused", type(e).__name__, e)
    try:
        services.jobs.delete(scope, "ja")
        print("deleted")
    except Exception as e:
        print("delete refused", type(e).__name__, e)
