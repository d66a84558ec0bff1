"""The sandbox's FastAPI app: every V2 endpoint over real HTTP, as pcnb.contract models it.

Routes only authenticate, parse and render; workflow rules live in state.py / ops.py. The
generated ``/openapi.json`` documents the contract as modelled (operationIds are the V2 names).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from pcnb.contract import API_KEY_HEADER, MFA_OTP_HEADER, MFA_SESSION_HEADER, parse_changed_since
from pcnb.sandbox import ops
from pcnb.sandbox.asgi import GatewayMiddleware
from pcnb.sandbox.faults import Faults
from pcnb.sandbox.http import body_of, error_response, flag, paging, reply
from pcnb.sandbox.identity import Identity, RateLimit, User
from pcnb.sandbox.models import SandboxError
from pcnb.sandbox.quirks import Quirks
from pcnb.sandbox.state import State

P = "/Programs/{program}"
J = P + "/Projects/{project}"
F = J + "/Forms/{form}"


class Sandbox:
    """Holds what the routes share; ``app`` is the ASGI callable uvicorn serves."""

    def __init__(self, state: State, identity: Identity, rate: RateLimit, faults: Faults,
                 control_token: str, quirks: Quirks | None = None):
        self.state, self.identity, self.rate, self.faults = state, identity, rate, faults
        self.quirks = quirks or Quirks()
        self.control_token = control_token
        self.fastapi = FastAPI(title="PowerClerk API V2 (pcnb sandbox)", version="2",
                               description="The V2 contract as modelled by pcnb's sandbox.")
        self._errors()
        self.fastapi.include_router(self._api(), prefix="/services/v2")
        self.fastapi.include_router(self._identity_routes())
        from pcnb.sandbox.control import control_router
        self.fastapi.include_router(control_router(self), include_in_schema=False)
        self.app = GatewayMiddleware(self.fastapi, faults, quirks=self.quirks)

    def _errors(self) -> None:
        app = self.fastapi

        @app.exception_handler(SandboxError)
        async def _sandbox(request: Request, exc: SandboxError) -> Response:
            return error_response(request, exc)

        @app.exception_handler(RequestValidationError)
        async def _validation(request: Request, exc: RequestValidationError) -> Response:
            return error_response(request, SandboxError(400, "Bad request parameters",
                                                        [str(e.get("msg")) for e in exc.errors()]))

        @app.exception_handler(StarletteHTTPException)
        async def _http(request: Request, exc: StarletteHTTPException) -> Response:
            text = "Resource not found" if exc.status_code == 404 else str(exc.detail)
            return error_response(request, SandboxError(exc.status_code, text))

    def user(self, request: Request, program: str | None = None, admin: bool = False) -> User:
        h = request.headers
        user = self.identity.authenticate(h.get(API_KEY_HEADER), h.get("authorization"),
                                          h.get(MFA_OTP_HEADER), h.get(MFA_SESSION_HEADER))
        self.rate.hit(user.api_key)
        if program is not None:
            self.state.check_program(program)
            if self.quirks.denied(self.role(user)):
                raise SandboxError(401, "Unauthorized: your user is not allowed access to this program")
        if admin and not user.admin:
            raise SandboxError(403, "Forbidden: this method is admin-only and your API user is not "
                                    "an admin of the program")
        return user

    def role(self, user: User) -> str:
        return next((r for r, u in self.identity.users.items() if u is user), "")

    def reveal(self, request: Request, user: User) -> bool:
        if not flag(request.query_params.get("reveal_sensitive_data"), "reveal_sensitive_data"):
            return False
        h = request.headers
        self.identity.check_reveal(user, h.get(MFA_OTP_HEADER), h.get(MFA_SESSION_HEADER))
        return True

    def _identity_routes(self) -> APIRouter:
        router = APIRouter()

        @router.post("/connect/token", operation_id="Token", tags=["identity"])
        async def token(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            answer = self.identity.issue(request.headers.get("authorization"), form)
            if self.quirks.revoke_tokens:  # a gateway that revokes what its identity server just issued
                self.identity.revoke(answer["access_token"])
            status, body = self.quirks.token(answer)
            if isinstance(body, str):
                return Response(body, status, media_type="application/json")
            return reply(request, body, status)
        return router

    def _api(self) -> APIRouter:  # noqa: C901 - one short closure per endpoint
        r = APIRouter()
        st = self.state

        def summaries(request: Request, projects: list[dict[str, Any]]) -> Response:
            return reply(request, {"Projects": projects, "RequestTimestamp": st.clock.iso_precise(st.now())})

        @r.get("/Programs", operation_id="GetPrograms")
        async def get_programs(request: Request) -> Response:
            u = self.user(request)
            pr = st.program
            if self.quirks.denied(self.role(u)):
                return reply(request, {"Programs": []})
            return reply(request, {"Programs": [{"ProgramId": pr.program_id, "CustomId": pr.custom,
                                                 "Name": pr.name}]})

        @r.get(P + "/Forms", operation_id="GetForms")
        async def get_forms(request: Request, program: str) -> Response:
            u = self.user(request, program)
            return reply(request, {"Forms": st.forms_for(u.as_dict())})

        @r.get(P + "/Forms/{form}/Schema", operation_id="GetFormSchema")
        async def get_schema(request: Request, program: str, form: str) -> Response:
            u = self.user(request, program)
            return reply(request, st.schema(st.form(form, u.as_dict())))

        @r.get(P + "/Projects", operation_id="GetProjects")
        async def get_projects(request: Request, program: str, changed_since: str | None = None,
                               limit: str | None = None, offset: str | None = None) -> Response:
            u = self.user(request, program)
            since = None
            if changed_since is not None:
                try:
                    since = parse_changed_since(changed_since)
                except ValueError as exc:
                    raise SandboxError(400, str(exc)) from exc
            lim, off = paging(limit, offset)
            started = st.now()
            with st.lock:
                items = st.list_projects(u.as_dict(), since, lim, off)
            return reply(request, {"Projects": items, "RequestTimestamp": st.clock.iso_precise(started)})

        @r.post(P + "/Projects/ByNumber", operation_id="GetProjectByNumber")
        async def by_number(request: Request, program: str) -> Response:
            u = self.user(request, program)
            numbers = (await body_of(request)).get("ProjectNumbers")
            if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
                raise SandboxError(400, "Body must be {'ProjectNumbers': ['EX-00011', ...]}")
            return summaries(request, st.by_numbers(u.as_dict(), numbers))

        @r.post(P + "/Projects/ByData", operation_id="GetProjectsByData")
        async def by_data(request: Request, program: str) -> Response:
            u = self.user(request, program)
            fields = (await body_of(request)).get("Fields")
            if not isinstance(fields, list) or not fields or not all(isinstance(f, dict) for f in fields):
                raise SandboxError(400, "Body must be {'Fields': [{'DataFieldId': ..., 'Content': ...}]}")
            return summaries(request, st.by_data(u.as_dict(), fields, reveal=self.reveal(request, u)))

        @r.post(P + "/NewProject", operation_id="CreateNewProject")
        async def new_project(request: Request, program: str) -> Response:
            u = self.user(request, program)
            p = st.create_project(u.as_dict())
            body = st.summary(p)
            body["Forms"] = st.forms_for(u.as_dict())
            return reply(request, {"Project": body})

        def data_get(draft: bool) -> Callable[..., Awaitable[Response]]:
            async def get_data(request: Request, program: str, project: str, form: str) -> Response:
                u = self.user(request, program)
                reveal = self.reveal(request, u)
                p, f = st.project(project, u.as_dict()), st.form(form, u.as_dict())
                return reply(request, st.form_data(p, f, draft=draft, reveal=reveal))
            return get_data

        r.get(F + "/Data", operation_id="GetProjectData")(data_get(False))
        r.get(F + "/Draft/Data", operation_id="GetProjectDraftData")(data_get(True))

        def data_set(admin_path: bool) -> Callable[..., Awaitable[Response]]:
            async def set_data(request: Request, program: str, project: str, form: str,
                               run_followup_actions: str | None = None) -> Response:
                u = self.user(request, program, admin=admin_path)
                flag(run_followup_actions, "run_followup_actions")
                p, f = st.project(project, u.as_dict()), st.form(form, u.as_dict())
                body = await body_of(request)
                proj = body.get("Project")
                if not isinstance(proj, dict):
                    raise SandboxError(400, "Body must be {'Project': {'DataFields': [...]}}")
                st.set_data(p, f, proj.get("DataFields"), u.as_dict(), admin_path=admin_path)  # type: ignore[arg-type]
                return reply(request, st.form_data(p, f, draft=not admin_path, reveal=False))
            return set_data

        r.post(F + "/Draft/Data", operation_id="SetProjectData")(data_set(False))
        r.post(F + "/Data", operation_id="SetProjectDataAsAdmin")(data_set(True))

        @r.post(F + "/Draft/Submit", operation_id="SubmitProject")
        async def submit(request: Request, program: str, project: str, form: str) -> Response:
            u = self.user(request, program)
            p, f = st.project(project, u.as_dict()), st.form(form, u.as_dict())
            st.submit(p, f, u.as_dict())
            return reply(request, {"Project": st.summary(p)})

        @r.get(J + "/Data", operation_id="GetAllProjectData")
        async def all_data(request: Request, program: str, project: str) -> Response:
            u = self.user(request, program, admin=True)
            return reply(request, ops.all_data(st, st.project(project), self.reveal(request, u)))

        @r.get(F + "/Attachments/{attachment}/Download", operation_id="DownloadAttachment")
        async def download(request: Request, program: str, project: str, form: str, attachment: str) -> Response:
            u = self.user(request, program)
            p, f = st.project(project, u.as_dict()), st.form(form, u.as_dict())
            name, ctype, content = ops.download(st, p, f, attachment)
            return Response(content, media_type=ctype,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})

        @r.post(F + "/Draft/Attachments/{attachment}/Upload", operation_id="UploadAttachment")
        async def upload(request: Request, program: str, project: str, form: str, attachment: str) -> Response:
            u = self.user(request, program)
            p, f = st.project(project, u.as_dict()), st.form(form, u.as_dict())
            m = re.search(r'filename="?([^";]+)"?', request.headers.get("content-disposition", ""))
            ctype = request.headers.get("content-type", "application/octet-stream")
            out = ops.upload(st, p, f, attachment, m.group(1) if m else "", ctype,
                             await request.body(), u.as_dict())
            return reply(request, out)

        @r.get(J + "/Attachments/{attachment}/Metadata", operation_id="GetAttachmentMetadata")
        async def get_meta(request: Request, program: str, project: str, attachment: str) -> Response:
            u = self.user(request, program)
            return reply(request, ops.metadata(st, st.project(project, u.as_dict()), attachment))

        @r.post(J + "/Attachments/{attachment}/Metadata", operation_id="SetAttachmentMetadata")
        async def set_meta(request: Request, program: str, project: str, attachment: str) -> Response:
            self.user(request, program, admin=True)
            body = await body_of(request)
            return reply(request, ops.set_metadata(st, st.project(project), attachment, body))

        @r.get(P + "/StatusList", operation_id="GetStatusList")
        async def status_list(request: Request, program: str) -> Response:
            self.user(request, program, admin=True)
            return reply(request, {"Statuses": [st.status_obj(s.custom_id, None) for s in st.program.statuses]})

        @r.get(P + "/CustomLists/{group}/Choices", operation_id="GetCustomListChoices")
        async def custom_list(request: Request, program: str, group: str) -> Response:
            self.user(request, program)
            return reply(request, ops.custom_list(group))

        @r.get(J + "/StatusHistory", operation_id="GetProjectStatusHistory")
        async def history(request: Request, program: str, project: str) -> Response:
            self.user(request, program, admin=True)
            return reply(request, st.history(st.project(project)))

        @r.post(J + "/Status/{status}", operation_id="SetProjectStatus")
        async def set_status(request: Request, program: str, project: str, status: str,
                             AutoCommunication: str | None = None) -> Response:  # noqa: N803
            u = self.user(request, program, admin=True)
            flag(AutoCommunication, "AutoCommunication")
            return reply(request, st.set_status(st.project(project), status, u.as_dict()))

        @r.post(J + "/StatusHistory/ReportAs", operation_id="SetProjectStatusReportAs")
        async def report_as(request: Request, program: str, project: str) -> Response:
            self.user(request, program, admin=True)
            return reply(request, st.set_report_as(st.project(project), await body_of(request)))

        @r.get(J + "/Export", operation_id="GetExportProject")
        async def export(request: Request, program: str, project: str) -> Response:
            u = self.user(request, program, admin=True)
            return reply(request, ops.export(st, st.project(project), reveal=self.reveal(request, u)))

        @r.post(J + "/Assignee", operation_id="SetAssignee")
        async def assignee(request: Request, program: str, project: str) -> Response:
            u = self.user(request, program)
            p = st.project(project, u.as_dict())
            return reply(request, ops.set_assignee(st, p, await body_of(request)))

        @r.post(J + "/Owner", operation_id="SetProjectOwner")
        async def owner(request: Request, program: str, project: str) -> Response:
            u = self.user(request, program)
            p = st.project(project, u.as_dict())
            return reply(request, ops.set_owner(st, p, await body_of(request)))

        @r.get(J + "/InquiryThreads", operation_id="GetInquiryThreads")
        async def threads(request: Request, program: str, project: str) -> Response:
            self.user(request, program, admin=True)
            return reply(request, ops.threads(st, st.project(project)))

        @r.get(P + "/InquiryThreads/{thread}/Notes", operation_id="GetNotesInInquiryThread")
        async def notes(request: Request, program: str, thread: str) -> Response:
            self.user(request, program, admin=True)
            return reply(request, ops.notes(st, st.thread(thread)))

        @r.post(J + "/SetInquiryNote", operation_id="SetInquiryNote")
        async def set_note(request: Request, program: str, project: str) -> Response:
            u = self.user(request, program, admin=True)
            return reply(request, ops.set_note(st, st.project(project), await body_of(request), u.as_dict()))

        @r.post(P + "/InquiryThreads/{thread}/Status/{thread_status}", operation_id="SetInquiryThreadStatus")
        async def thread_status(request: Request, program: str, thread: str, thread_status: str) -> Response:
            self.user(request, program, admin=True)
            return reply(request, ops.set_thread_status(st, st.thread(thread), thread_status))

        @r.post(P + "/InquiryThreads/{thread}/ExternalId/{external_id}", operation_id="SetInquiryThreadExternalId")
        async def external(request: Request, program: str, thread: str, external_id: str) -> Response:
            self.user(request, program, admin=True)
            return reply(request, ops.set_external_id(st, st.thread(thread), external_id))

        return r
