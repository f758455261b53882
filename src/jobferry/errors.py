"""The one error tree of jobferry.

Every refusal the service makes is one of these classes. Each carries the HTTP ``status`` and the
stable DataArts-style ``code`` that the API puts in the wire envelope
``{"error_code": code, "error_msg": message, "errors": [{"error_code", "error_msg"}], ...}``;
context attributes become extra fields of that same envelope (never a different shape).
Messages name the object, the rule and the fix.

    JobferryError                     500 DLF.0000  unexpected internal failure
    ├── AuthenticationError           401 APIGW.0301 signature, access key or clock is wrong
    │   ├── SignatureMismatchError    401 APIGW.0301 the signature does not match the secret key
    │   ├── AccessKeyLockedError      401 APIGW.0301 the access key is locked after failures
    │   ├── SignInError               401 DLF.9030  console sign-in refused (password or lockout)
    │   └── TokenPasswordError        401 DLF.9081  an IAM token refused: project, user or password
    ├── PermissionDeniedError         403 DLF.6888  the caller's role does not allow the call
    │   ├── OperationDisabledError    403 DLF.9050  batch export/import switched off here
    │   ├── CsrfError                 403 DLF.9031  a console form without its valid CSRF token
    │   └── TokenProjectError         403 DLF.9083  an IAM token of another project than the path's
    ├── NotSupportedError             501 DLF.9501  a DataArts call jobferry does not serve
    ├── RemoteError                   502 DLF.9060  a remote DataArts endpoint answered an error
    │   ├── RemoteAuthError           502 DLF.9061  the remote refused the remote's AK/SK
    │   └── RemoteUnreachableError    502 DLF.9062  the remote gave no usable answer
    ├── StorageError                  503 DLF.9503  database unreachable or at the wrong schema
    │   ├── DatabaseBusyError         503 DLF.9504  SQLite's write lock stayed taken; PG lock wait
    │   └── SecretKeyError            503 DLF.9510  the secret key does not open the stored secrets
    ├── ObjectStoreUnavailableError   503 DLF.9505  object storage unreachable, slow or failing
    ├── ServerStoppingError           503 DLF.9071  a call cut by its server process's stop
    ├── StoreFullError                507 DLF.9507  a store has no space left (store, writing named)
    ├── HelperStoppedError            500 DLF.0000  a package-reading helper process stopped
    ├── InvalidRequestError           400 DLF.3051  a parameter or body is invalid
    │   ├── ValidationFailedError     400 DLF.3051  a definition breaks rules (all listed)
    │   ├── RequiredParameterError    400 DLF.0802  a required parameter is missing
    │   ├── JobNameMissingError       400 DLF.3004  the job has no name
    │   ├── JobNameError              400 DLF.3018  the job name breaks the name rule
    │   ├── ScheduleInvalidError      400 DLF.3025  the job's schedule is invalid
    │   ├── ScriptTypeMissingError    400 DLF.6247  the script has no type
    │   ├── ObsPathError              400 DLF.0803  an obs:// path is malformed or not writable
    │   ├── ObsReadError              400 DLF.0815  an object-storage file cannot be read
    │   ├── ResourceTypeError         400 DLF.6263  resource type is not one of the allowed values
    │   ├── ResourceLocationError     400 DLF.6264  resource location is not an OBS/HDFS path
    │   ├── ResourceDescriptionError  400 DLF.6265  resource description too long
    │   ├── StudioLookupError         400 DAYU.4402 a Studio instance/workspace look-up is wrong
    │   ├── PayloadTooLargeError      413 DLF.9413  a body (a package, a JSON body) over its cap
    │   ├── SameDatabaseError         400 DLF.9069  a database copy's source and target are one
    │   ├── PackageError              400 DLF.9020  a package cannot be read safely
    │   ├── UnknownJobsParamError     400 DLF.9092  jobsParam names a job the package lacks
    │   └── CarriedPackageError       400 DLF.9041  a carried package does not continue its route
    ├── NotFoundError                 400 (code per kind) an object does not exist
    │   ├── JobNotFoundError          400 DLF.0100
    │   ├── ScriptNotFoundError       400 DLF.6201
    │   ├── ResourceNotFoundError     404 DLF.6241  (404: clients treat it as gone)
    │   ├── TaskNotFoundError         400 DLF.0810
    │   ├── ReleasePackageNotFoundError 400 DLF.0810 no such release package in the workspace
    │   ├── VersionNotFoundError      400 DLF.0100  a job/script version that was never submitted
    │   ├── WorkspaceNotFoundError    400 DLF.0819  (DataArts' own code for an unknown workspace)
    │   ├── UserNotFoundError         400 DLF.9003
    │   ├── ObsBucketNotFoundError    400 DLF.1242  the bucket of an obs:// path does not exist
    │   ├── DownloadNotFoundError     400 DLF.9005  no such unexpired package
    │   ├── ProfileNotFoundError      400 DLF.9006  no such environment profile (version)
    │   ├── KeyNotFoundError          400 DLF.9007  no signing key / trusted key with that id
    │   ├── RouteNotFoundError        400 DLF.9040  no such route (or version of it)
    │   ├── PolicyNotFoundError       400 DLF.9086  no policy (or version of it) for that holder
    │   ├── RemoteNotFoundError       400 DLF.9064  no remote of that name in the project
    │   ├── EnvironmentObjectNotFoundError 400 DLF.9004
    │   │   └── ConnectionNotFoundError 400 DLF.6322  no data connection of that name or id
    │   ├── StudioWorkspaceNotFoundError 400 DAYU.4402 no such workspace in the instance
    │   ├── RenameSourceNotFoundError 400 DLF.30100 the job to rename does not exist
    │   └── TokenNotFoundError        404 DLF.9082  an IAM token unknown, ended or revoked
    └── ConflictError                 400 (code per kind) the request clashes with stored state
        ├── JobExistsError            400 DLF.0102
        ├── ScriptExistsError         400 DLF.0202
        ├── ResourceExistsError       400 DLF.6259
        ├── NameTakenError            400 DLF.9010  workspace/user/other name already used
        ├── KeyDistrustedError        400 DLF.9065  a package signed by a key distrusted here
        ├── AlreadyDistrustedError    400 DLF.9066  the key is distrusted already: nothing changed
        ├── ApprovalKeyDistrustedError 400 DLF.9067 a carried release approved with a distrusted key
        ├── SignedReleaseRolledBackError 400 DLF.9075 a signed release taken in and rolled back here
        ├── SignedReleaseTakenError   400 DLF.9076  a signed release taken in here already
        ├── DatabaseNotEmptyError     400 DLF.9068  a database copy's target holds jobferry rows
        ├── ConnectionExistsError     400 DLF.6309  a connection of that name already exists
        ├── ConnectionTypeError       400 DLF.6323  a connection's type cannot be changed
        ├── JobScheduledError         400 DLF.9011  the job must be stopped first
        ├── LockedError               400 DLF.9012  a hard lock held by another user
        ├── LockedTagError            400 DLF.9091  a locked tag's jobs, or the tag, cannot change
        ├── InUseError                400 DLF.9013  other objects still reference it
        ├── ImportRunningError        400 DLF.9014  another import runs in the workspace
        ├── PlanStaleError            400 DLF.9015  the target changed since the named plan
        ├── BasisChangedError         400 DLF.9042  objects changed since the package's snapshot
        ├── ApprovalRefusedError      400 DLF.9043  an approval that cannot be kept (signer, key)
        ├── ApprovalsMissingError     400 DLF.9044  fewer valid approvals of the plan than needed
        ├── ShadowWorkspaceError      400 DLF.9063  a write into a remote's shadow workspace
        ├── ProductionSideError       400 DLF.9070  a write into a production side, not a release
        ├── DevelopmentScheduleError  400 DLF.9089  a job started on an enterprise development side
        ├── PolicyViolationError      400 DLF.9085  a policy refuses the plan's apply (rule named)
        ├── PackageReleasedError      400 DLF.20990 the release package is released (or being)
        ├── RollbackRefusedError      400 DLF.9016  the import cannot be rolled back (why listed)
        ├── PromotedMeanwhileError    400 DLF.9088  a route's same changes were promoted meanwhile
        ├── MappingConflictError      400 DLF.9017  a profile maps a name to be saved otherwise
        ├── VersionMovedError         412 DLF.9018  a save's expected version is not the newest
        ├── DefinitionChangedError    400 DLF.9087  a job/script changed since the editor read it
        └── CautionsChangedError      400 DLF.9074  what the editor's review cautioned of changed

A refusal's fix is said to each audience in its own terms. The message the service writes
states the problem (``message``) and, for an API client, what to do (``fix``: "list them with
GET /v1/{project_id}/routes"); a fix that must name a call or a field of the API is given
with a ``remedy`` (a ``domain.remedies.Remedy``) that says what kind of fix it is. The
envelope carries both, as ``remedy`` and ``problem`` beside ``error_msg``, and the command
line (``cli/remedies.py``) and the console (``console/fixes.py``) each say that remedy with their
own commands and pages after the problem. ``tests/test_wording.py`` walks every refusal and
fails on an API term either prints.

DataArts business errors are all HTTP 400, so conflicts and missing objects keep 400 here too,
except a missing resource: DataArts answers 404 there, and the Terraform provider removes a
resource from its state only on a 404.
Codes ``DLF.9xxx`` are jobferry's own (DataArts documents none in that range).

A name or id too long for any object is quoted cut in the message, whole in its field
(``quoting.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from jobferry.quoting import quoted_cut


class JobferryError(Exception):
    """Base of every error jobferry raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "DLF.0000"

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        remedy: str | None = None,
        **context: Any,
    ) -> None:
        message, fix = quoted_cut(message, fix, context)
        full = f"{message} {fix}" if fix else message
        super().__init__(full)
        self.message = full
        """What the API says: the problem, then its fix in the API's terms."""
        self.problem = message
        """The problem alone, for an adapter that says the fix in its own terms."""
        self.remedy = remedy
        """What kind of fix ``fix`` is (a ``domain.remedies.Remedy``), when it names the API."""
        self.context: dict[str, Any] = {k: v for k, v in context.items() if v is not None}

    def envelope(self) -> dict[str, Any]:
        """The DataArts error body: code and message first, context as extra fields, and the
        same code and message once more as ``errors[0]`` (see :func:`error_body`); with a
        ``remedy``, it and the ``problem`` alone (a client says the fix its own way)."""
        body = error_body(self.code, self.message)
        if self.remedy is not None:
            body["remedy"] = str(self.remedy)
            body["problem"] = self.problem
        for key, value in self.context.items():
            body.setdefault(key, value)
        return body


def error_body(code: str, message: str) -> dict[str, Any]:
    """``{"error_code", "error_msg", "errors": [{"error_code", "error_msg"}]}``.

    Both spellings DataArts answers in: most clients read the top-level pair; some services
    (scripts, for one) answer a list under ``errors``, and the Terraform provider looks for a
    missing script's code at ``errors[0].error_code``.
    """
    return {
        "error_code": code,
        "error_msg": message,
        "errors": [{"error_code": code, "error_msg": message}],
    }


class AuthenticationError(JobferryError):
    """The request's AK/SK signature, access key, date or project header is not acceptable."""

    status = 401
    code = "APIGW.0301"


class SignatureMismatchError(AuthenticationError):
    """The signature does not match the one the access key's secret key gives."""


class AccessKeyLockedError(AuthenticationError):
    """The access key is locked for a while after too many failed signatures in a row."""


class SignInError(AuthenticationError):
    """Console sign-in refused: unknown name, wrong or unset password, or a lockout delay."""

    code = "DLF.9030"


class TokenPasswordError(AuthenticationError):
    """``POST /v3/auth/tokens`` refused: an unknown project or user, a user without a console
    password, a wrong password or a locked user, all in one answer."""

    code = "DLF.9081"


class PermissionDeniedError(JobferryError):
    """The caller is known but their role in the workspace does not allow this call."""

    status = 403
    code = "DLF.6888"


class OperationDisabledError(PermissionDeniedError):
    """The server's operators switched this kind of call off (batch export or batch import)."""

    code = "DLF.9050"


class CsrfError(PermissionDeniedError):
    """A console form arrived without the valid CSRF token of the signed-in session."""

    code = "DLF.9031"


class TokenProjectError(PermissionDeniedError):
    """A call with a live ``X-Auth-Token`` of another project than the path's. A 403, not a
    401: a new token for the same user and project cannot cure it, and the Go SDK answers every
    401 by getting a new token and sending the call again, without end."""

    code = "DLF.9083"


class NotSupportedError(JobferryError):
    """A DataArts call that jobferry deliberately does not serve (execution, for instance)."""

    status = 501
    code = "DLF.9501"


class RemoteError(JobferryError):
    """A remote DataArts endpoint answered a call with an error; ``remote_error_code`` and
    ``remote_error_msg`` keep what it said, ``remote_status`` its HTTP status."""

    status = 502
    code = "DLF.9060"
    on_its_way = False
    """A request of the call was sent (or may have been) and got no answer, this one or an
    earlier attempt: it may still reach the remote and take effect."""


class RemoteAuthError(RemoteError):
    """The remote endpoint refused the remote's access key or signature (HTTP 401 or 403)."""

    code = "DLF.9061"


class RemoteUnreachableError(RemoteError):
    """The remote endpoint gave no usable answer: refused or reset connection, timeout, or a
    body that is not DataArts JSON."""

    code = "DLF.9062"


class StorageError(JobferryError):
    """The database cannot be reached or is not at this version's schema (:meth:`withheld`)."""

    status = 503
    code = "DLF.9503"

    def __init__(self, message: str, *, reason: str | None = None, **kwargs: Any) -> None:
        said = message if reason is None else f"{message} The database said: {reason}"
        super().__init__(said, **kwargs)
        self.reason, self._said, self._kwargs = reason, message, kwargs

    def withheld(self, request_id: str) -> StorageError:
        """As API and console callers get it: ``reason`` (host, file…) left for the server log."""
        said = f"{self._said} The server log says why, under request id {request_id}."
        return type(self)(said, **self._kwargs)


class DatabaseBusyError(StorageError):
    """SQLite's write lock held by another write all the busy timeout, or PostgreSQL's lock
    wait, deadlock or serialization failure: nothing written, to send again (``retry_after``)."""

    status = 503
    code = "DLF.9504"


class SecretKeyError(StorageError):
    """The server's secret key is missing or does not open the secrets the database holds
    (a restore without its ``secret.key``): the server refuses to start."""

    status = 503
    code = "DLF.9510"


class ObjectStoreUnavailableError(JobferryError):
    """The object storage (the S3 package store, or the endpoint obs:// paths map to) could not
    be reached, did not answer in time, answered a server error, or refuses the server's own
    configuration (its bucket, its credentials): the server's side, not the request's."""

    status = 503
    code = "DLF.9505"


class ServerStoppingError(JobferryError):
    """The server process stopped before the call ended: it waited its shutdown time
    (``seconds``, ``JOBFERRY_SHUTDOWN_SECONDS``) for the calls in progress, then cut this one."""

    status = 503
    code = "DLF.9071"


class StoreFullError(JobferryError):
    """A store jobferry writes to has no space left; nothing half-written is kept."""

    status = 507
    code = "DLF.9507"


class HelperStoppedError(JobferryError):
    """A helper process working beside an import or an export on another core (reading the
    package, or writing it) stopped without an answer (killed, out of memory): the task fails;
    an import writes nothing, an export keeps no package."""

    code = "DLF.0000"


class InvalidRequestError(JobferryError):
    """A parameter or request body is invalid."""

    status = 400
    code = "DLF.3051"


class PayloadTooLargeError(InvalidRequestError):
    """A request body (an uploaded package, a call's JSON) is larger than the server accepts
    (``limit``)."""

    status = 413
    code = "DLF.9413"


class SameDatabaseError(InvalidRequestError):
    """``jobferry db copy`` refused: its source and target are one database; nothing written."""

    code = "DLF.9069"


class StudioLookupError(InvalidRequestError):
    """A DataArts Studio management-centre call with a wrong parameter (its DAYU codes)."""

    code = "DAYU.4402"


class ValidationFailedError(InvalidRequestError):
    """A job/script/resource definition breaks one or more rules; ``details`` lists every one."""


class RequiredParameterError(InvalidRequestError):
    """A parameter the call needs was not given."""

    code = "DLF.0802"


class JobNameMissingError(InvalidRequestError):
    """The job definition has no name."""

    code = "DLF.3004"


class JobNameError(InvalidRequestError):
    """The job name breaks the name rule."""

    code = "DLF.3018"


class ScheduleInvalidError(InvalidRequestError):
    """The job's schedule is invalid."""

    code = "DLF.3025"


class ScriptTypeMissingError(InvalidRequestError):
    """The script definition has no type."""

    code = "DLF.6247"


class ObsPathError(InvalidRequestError):
    """An obs:// (or s3://) path is malformed, or object storage refused to write it."""

    code = "DLF.0803"


class ObsReadError(InvalidRequestError):
    """A file in object storage cannot be read."""

    code = "DLF.0815"


class ResourceTypeError(InvalidRequestError):
    """A resource's type is not archive, file, jar or pyFile."""

    code = "DLF.6263"


class ResourceLocationError(InvalidRequestError):
    """A resource's location is not an OBS (or, for the main file, HDFS) path."""

    code = "DLF.6264"


class ResourceDescriptionError(InvalidRequestError):
    """A resource's description is too long."""

    code = "DLF.6265"


class NotFoundError(JobferryError):
    """An object the request names does not exist (DataArts answers these with HTTP 400)."""

    status = 400
    code = "DLF.3051"


class JobNotFoundError(NotFoundError):
    """The job does not exist in the workspace."""

    code = "DLF.0100"


class StudioWorkspaceNotFoundError(NotFoundError):
    """No such workspace in the DataArts Studio instance (management-centre DAYU code)."""

    code = "DAYU.4402"


class ScriptNotFoundError(NotFoundError):
    """The script does not exist in the workspace."""

    code = "DLF.6201"


class ResourceNotFoundError(NotFoundError):
    """The resource does not exist in the workspace."""

    status = 404
    code = "DLF.6241"


class TaskNotFoundError(NotFoundError):
    """The system task does not exist in the workspace."""

    code = "DLF.0810"


class ReleasePackageNotFoundError(NotFoundError):
    """The release package does not exist in the workspace."""

    code = "DLF.0810"


class VersionNotFoundError(NotFoundError):
    """The requested submitted version of a job or script does not exist."""

    code = "DLF.0100"


class WorkspaceNotFoundError(NotFoundError):
    """The workspace named by the ``workspace`` header or path does not exist in the project."""

    code = "DLF.0819"


class UserNotFoundError(NotFoundError):
    """The user does not exist in the project, or lacks the access key or role a call removes."""

    code = "DLF.9003"


class ObsBucketNotFoundError(NotFoundError):
    """The bucket named by an obs:// path does not exist."""

    code = "DLF.1242"


class DownloadNotFoundError(NotFoundError):
    """The package is not (or no longer) in the download center."""

    code = "DLF.9005"


class EnvironmentObjectNotFoundError(NotFoundError):
    """The environment object (connection, queue, cluster…) is not registered in the workspace."""

    code = "DLF.9004"


class ConnectionNotFoundError(EnvironmentObjectNotFoundError):
    """No data connection of that name (or id) in the workspace."""

    code = "DLF.6322"


class RenameSourceNotFoundError(NotFoundError):
    """The job a rename names does not exist in the workspace (DataArts' rename code)."""

    code = "DLF.30100"


class TokenNotFoundError(NotFoundError):
    """The token named by ``X-Subject-Token`` (validate, revoke) is unknown, ended or revoked."""

    status = 404
    code = "DLF.9082"


class ProfileNotFoundError(NotFoundError):
    """No environment profile (or no such version of it) in the workspace."""

    code = "DLF.9006"


class RouteNotFoundError(NotFoundError):
    """No route (or no such version of it) of that name in the project."""

    code = "DLF.9040"


class PolicyNotFoundError(NotFoundError):
    """No policy (or no such version of it) for the workspace or route."""

    code = "DLF.9086"


class RemoteNotFoundError(NotFoundError):
    """No remote of that name in the project."""

    code = "DLF.9064"


class KeyNotFoundError(NotFoundError):
    """The workspace has no signing key, or does not trust a key with that id."""

    code = "DLF.9007"


class ConflictError(JobferryError):
    """The request clashes with what is stored (HTTP 400, as DataArts does)."""

    status = 400
    code = "DLF.3051"


class JobExistsError(ConflictError):
    """A job with that name already exists in the workspace."""

    code = "DLF.0102"


class ScriptExistsError(ConflictError):
    """A script with that name already exists in the workspace."""

    code = "DLF.0202"


class ResourceExistsError(ConflictError):
    """A resource with that name already exists in the workspace."""

    code = "DLF.6259"


class NameTakenError(ConflictError):
    """A workspace, user or other named object with that name already exists."""

    code = "DLF.9010"


class KeyDistrustedError(ConflictError):
    """A package's signature verifies under a key the workspace distrusts: it is refused at
    check, plan and import, whether or not the workspace requires signed packages."""

    code = "DLF.9065"


class AlreadyDistrustedError(ConflictError):
    """The key is distrusted in the workspace already: distrusting it again changes nothing."""

    code = "DLF.9066"


class ApprovalKeyDistrustedError(ConflictError):
    """A signed release carried in holds an approval whose signature verifies under a key the
    workspace distrusts: refused as a whole, however many other approvals count."""

    code = "DLF.9067"


class SignedReleaseRolledBackError(ConflictError):
    """A signed release taken in here once and rolled back is not taken in again, as its
    package is not deployed again on its own server (``entry_id``, ``rolled_back_entry``)."""

    code = "DLF.9075"


class SignedReleaseTakenError(ConflictError):
    """A signed release taken in here already, and not rolled back (or restored since), is
    not taken in a second time (``entry_id``)."""

    code = "DLF.9076"


class DatabaseNotEmptyError(ConflictError):
    """``jobferry db copy`` refused: the target already holds jobferry rows (``table`` names a
    table with rows); nothing was written to it."""

    code = "DLF.9068"


class ConnectionExistsError(ConflictError):
    """A data connection with that name already exists in the workspace."""

    code = "DLF.6309"


class ConnectionTypeError(ConflictError):
    """A data connection's type cannot be changed by an update."""

    code = "DLF.6323"


class JobScheduledError(ConflictError):
    """The job is scheduled; the operation needs it stopped first."""

    code = "DLF.9011"


class LockedError(ConflictError):
    """The object is locked by another user and the workspace lock policy is hard."""

    code = "DLF.9012"


class LockedTagError(ConflictError):
    """A job carries a tag locked in its workspace (or a save would give it one), or the call
    deletes a locked tag: a locked tag and its jobs cannot change until a workspace admin
    unlocks it."""

    code = "DLF.9091"


class InUseError(ConflictError):
    """The object is still referenced by other objects and cannot be removed."""

    code = "DLF.9013"


class PackageError(InvalidRequestError):
    """A package cannot be read safely; the message names the entry and the rule."""

    code = "DLF.9020"


class UnknownJobsParamError(InvalidRequestError):
    """An import's per-job parameters name a job its package does not hold (a typo would
    otherwise set nothing, silently)."""

    code = "DLF.9092"


class CarriedPackageError(InvalidRequestError):
    """A package carried along a route is refused: not cut for this route or source, a package
    missing before it in the route's chain, or a signature the route does not accept."""

    code = "DLF.9041"


class ImportRunningError(ConflictError):
    """Another import, or a rollback, is running in the workspace; they run one at a time."""

    code = "DLF.9014"


class PlanStaleError(ConflictError):
    """The import names a plan computed on a target state that has changed since."""

    code = "DLF.9015"


class BasisChangedError(ConflictError):
    """A package planned against a snapshot of the target would write or delete objects that
    changed in the target since that snapshot was made."""

    code = "DLF.9042"


class ShadowWorkspaceError(ConflictError):
    """The workspace is a remote's shadow: it changes only when the remote is refreshed."""

    code = "DLF.9063"


class ApprovalRefusedError(ConflictError):
    """An approval that cannot be kept: its signer made the plan, is not named to approve it,
    signs with a key that is not theirs or is revoked, or signs another plan or text."""

    code = "DLF.9043"


class ApprovalsMissingError(ConflictError):
    """A release or promotion that needs more valid approvals of its plan than it has."""

    code = "DLF.9044"


class ProductionSideError(ConflictError):
    """The workspace is a production side: it changes only by a release."""

    code = "DLF.9070"


class DevelopmentScheduleError(ConflictError):
    """The workspace is the development side of an enterprise workspace, which schedules
    nothing: its jobs run on schedule once released, in production."""

    code = "DLF.9089"


class PolicyViolationError(ConflictError):
    """A policy of the target workspace or route refuses applying a plan (a freeze window,
    the deletion limit, a naming rule), naming the rule and the objects."""

    code = "DLF.9085"


class PackageReleasedError(ConflictError):
    """The release package was released (or is being released) and cannot be changed."""

    code = "DLF.20990"


class RollbackRefusedError(ConflictError):
    """The import cannot be rolled back: changed since, not an import, done already, expired;
    ``rule`` says which (``domain.enums.RollbackRule``), for a client to tell them apart."""

    code = "DLF.9016"

    def __init__(self, message: str, *, rule: str, **context: Any) -> None:
        super().__init__(message, rule=rule, **context)


class PromotedMeanwhileError(ConflictError):
    """A route's promotion was applied while another import of the same changes (its package
    cut from the same point) was recorded meanwhile, by another operator or a run retried:
    nothing is imported, and the refusal names that import (who, when, its task)."""

    code = "DLF.9088"


class MappingConflictError(ConflictError):
    """Mappings to save into a profile map a name the profile already maps to another one."""

    code = "DLF.9017"


class VersionMovedError(ConflictError):
    """A save of a profile, route or policy on a condition (HTTP ``If-Match`` or
    ``If-None-Match``) found another newest version than it expected: somebody saved it since
    it was read, or a create found one saved. Nothing is saved."""

    status = 412
    code = "DLF.9018"


class DefinitionChangedError(ConflictError):
    """A save of a job or script made from the definition read earlier (the console's editor)
    found the stored one changed since, by another save, an import or a rollback; nothing is
    saved."""

    code = "DLF.9087"


class CautionsChangedError(ConflictError):
    """A save of a job or script confirmed in the console's editor found the workspace giving
    other cautions than its review showed (an object it names renamed, deleted or created
    since); nothing is saved."""

    code = "DLF.9074"


def all_error_classes() -> list[type[JobferryError]]:
    """Every class of the tree, for documentation and tests."""
    found: list[type[JobferryError]] = []
    pending: list[type[JobferryError]] = [JobferryError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)
