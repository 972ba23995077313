"""The REST API: the review API behind IAM (or Cognito, for the console) and the CRM webhook.

``ANY /`` and ``ANY /{proxy+}`` go to the review-api function with AWS_IAM (SigV4) authorization,
or, when ``cognito`` is on, a Cognito user-pool authorizer (the console's ID tokens), with the same
routes for machines under ``ANY /iam/{proxy+}`` with AWS_IAM (API Gateway allows one authorizer per
method; the function strips the prefix). ``GET /``, ``GET /static/{name}`` and ``GET /auth/config``
(the console's page, files and sign-in settings: no data) need no auth, so a browser can load the
console and be sent to the hosted UI. ``POST /webhooks/{crm}`` (``/webhooks/hubspot``
for HubSpot) has no gateway authorization, because HubSpot signs with an app secret, not SigV4: the
gateway only checks that the body is a JSON array of events; the function answers 404 for a ``{crm}``
that is not the deployment's CRM kind or sends no webhooks (the internal table), and checks the
signature. The gateway does not require a signature header: HubSpot signs with v3 or v1/v2 headers
depending on the app, the function accepts each, and a request refused here would never reach its
retry logic.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import nag, names
from infra.components.functions import HygieneFunction, log_retention
from infra.config import StackConfig

WEBHOOK_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="HubSpotWebhookBatch",
    type=apigw.JsonSchemaType.ARRAY,
    min_items=1,
    items=apigw.JsonSchema(type=apigw.JsonSchemaType.OBJECT),
)
WEBHOOK_REASON = (
    "HubSpot cannot sign with SigV4 or present a Cognito token; it signs each request with the app "
    "secret (X-HubSpot-Signature headers), which the webhook function verifies before anything else."
)

CONSOLE_REASON = (
    "The console's page, its JS/CSS files and its sign-in settings (a public client id and the hosted "
    "UI's URL) hold no data; a browser must load them before it can sign in. GET only."
)
MACHINES_REASON = (
    "Machines (scripts, the CLI) sign with AWS IAM (SigV4) under /iam/; people use the Cognito routes."
)


@dataclass(frozen=True)
class ConsoleAuth:
    """The console's sign-in (``cognito`` on): reviewers' pool, its hosted UI and app client."""

    pool: cognito.UserPool
    client: cognito.UserPoolClient
    domain: cognito.UserPoolDomain
    authorizer: apigw.CognitoUserPoolsAuthorizer


# Gateway answers -> the review API's error codes (review_errors.CODES): 4XX and 5XX catch the rest.
GATEWAY_ERRORS = (
    (apigw.ResponseType.ACCESS_DENIED, "forbidden"),
    (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "forbidden"),
    (apigw.ResponseType.INVALID_SIGNATURE, "forbidden"),
    (apigw.ResponseType.EXPIRED_TOKEN, "forbidden"),
    (apigw.ResponseType.UNAUTHORIZED, "unauthenticated"),
    (apigw.ResponseType.THROTTLED, "too_many_requests"),
    (apigw.ResponseType.QUOTA_EXCEEDED, "too_many_requests"),
    (apigw.ResponseType.BAD_REQUEST_BODY, "validation_error"),
    (apigw.ResponseType.INTEGRATION_TIMEOUT, "timeout"),
    (apigw.ResponseType.DEFAULT_4_XX, "invalid_request"),
    (apigw.ResponseType.DEFAULT_5_XX, "backend_error"),
)


class ReviewApi(Construct):
    """Stage ``v1`` with throttling, JSON access logs, error-level execution logs and X-Ray."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        review_fn: HygieneFunction,
        webhook_fn: HygieneFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.console_auth: ConsoleAuth | None = None
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=config.names.log_group("api", "review-access"),
            retention=log_retention(config.log_retention_days),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=config.names.api,
            description="crm-hygiene review API and CRM webhook",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=cdk.RemovalPolicy.DESTROY,
            deploy_options=apigw.StageOptions(
                stage_name=names.API_STAGE,
                throttling_rate_limit=config.api_rate_limit,
                throttling_burst_limit=config.api_burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies carry record fields: never log them
                tracing_enabled=True,
                metrics_enabled=True,
            ),
        )
        self._acknowledge_account_role()
        nag.acknowledge(
            self.api.deployment_stage,
            "APIG3",
            "No WAF by default: every review route needs SigV4/Cognito and the stage is throttled; the "
            "webhook only enqueues signed requests. docs/deploy.md shows how to attach a web ACL.",
        )
        self._review_routes(config, review_fn)
        self._webhook_route(webhook_fn)
        self._gateway_errors()

    @property
    def url(self) -> str:
        return self.api.url

    def _review_routes(self, config: StackConfig, review_fn: HygieneFunction) -> None:
        """The data routes: every method behind IAM, or, with ``cognito``, the console's Cognito tokens
        at the root and IAM for machines under ``/iam/`` (one authorizer per method in API Gateway).
        Then the console's page, files and sign-in settings, open to a browser (GET only, no data)."""
        integration = apigw.LambdaIntegration(review_fn.function, allow_test_invoke=False)
        proxy = self.api.root.add_resource("{proxy+}")
        if config.cognito:
            self.console_auth = self._cognito(config, review_fn)
            people = {
                "authorization_type": apigw.AuthorizationType.COGNITO,
                "authorizer": self.console_auth.authorizer,
            }
            machines = self.api.root.add_resource(names.IAM_PATH).add_resource("{proxy+}")
            method = machines.add_method("ANY", integration, authorization_type=apigw.AuthorizationType.IAM)
            nag.acknowledge(method, "COG4", MACHINES_REASON)
        else:
            people = {"authorization_type": apigw.AuthorizationType.IAM}
        for resource in (self.api.root, proxy):
            method = resource.add_method("ANY", integration, **people)  # type: ignore[arg-type]
            if not config.cognito:
                nag.acknowledge(
                    method,
                    "COG4",
                    "Reviewers authenticate with AWS IAM (SigV4) by default; deploy with -c cognito=true "
                    "for a Cognito user-pool authorizer instead.",
                )
        self._console_routes(integration)

    def _console_routes(self, integration: apigw.LambdaIntegration) -> None:
        """GET ``/``, ``/static/{name}`` and ``/auth/config`` without auth: a browser must load the
        console to be sent to the sign-in page. Only GET, and only these paths: every other method and
        path stays behind the data routes' auth (a resource with no such method answers 403)."""
        for path in names.CONSOLE_PATHS:
            resource = self.api.root
            for part in path:
                resource = resource.get_resource(part) or resource.add_resource(part)
            method = resource.add_method("GET", integration, authorization_type=apigw.AuthorizationType.NONE)
            nag.acknowledge(method, "APIG4", CONSOLE_REASON)
            nag.acknowledge(method, "COG4", CONSOLE_REASON)

    def _cognito(self, config: StackConfig, review_fn: HygieneFunction) -> ConsoleAuth:
        pool = self._user_pool(config)
        prefix = config.cognito_domain_prefix or config.names.of(cdk.Aws.ACCOUNT_ID)  # unique per account
        domain = pool.add_domain(
            "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        # The stage URL from the API's id, not api.url: that names the stage, which depends on the
        # methods, which depend on the function this client's id is given to (a cycle).
        stage_url = f"https://{self.api.rest_api_id}.execute-api.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{names.API_STAGE}/"
        urls = list(config.cognito_callback_urls) or [stage_url]
        client = pool.add_client(
            "Console",
            user_pool_client_name=config.names.of("console"),
            generate_secret=False,  # a browser app keeps no secret: authorization code with PKCE
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=urls,
                logout_urls=urls,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            auth_flows=cognito.AuthFlow(user_srp=True),  # scripts may sign in without the hosted UI
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.hours(12),
            read_attributes=cognito.ClientAttributes().with_standard_attributes(
                email=True, email_verified=True, fullname=True
            ),
            # The reviewer's e-mail names them in the audit trail: nobody may change their own.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
        review_fn.function.add_environment(names.ENV_COGNITO_DOMAIN_URL, domain.base_url())
        review_fn.function.add_environment(names.ENV_COGNITO_CLIENT_ID, client.user_pool_client_id)
        review_fn.function.add_environment(names.ENV_CONSOLE_REDIRECT_URL, urls[0])
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "ReviewersAuthorizer", cognito_user_pools=[pool])
        return ConsoleAuth(pool=pool, client=client, domain=domain, authorizer=authorizer)

    def _gateway_errors(self) -> None:
        """What the gateway answers itself, in the API's error body (``ErrorBody``: code, message,
        details; functions/review_api/review_errors.py), so a client parses one shape."""
        for response_type, code in GATEWAY_ERRORS:
            template = '{"code": "' + code + '", "message": $context.error.messageString, "details": []}'
            self.api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                templates={"application/json": template},
            )

    def _webhook_route(self, webhook_fn: HygieneFunction) -> None:
        validator = apigw.RequestValidator(
            self,
            "WebhookValidator",
            rest_api=self.api,
            request_validator_name="json-event-batch",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        model = self.api.add_model("WebhookBatch", content_type="application/json", schema=WEBHOOK_SCHEMA)
        resource = self.api.root
        for part in names.WEBHOOK_PATH:
            resource = resource.add_resource(part)
        method = resource.add_method(
            "POST",
            apigw.LambdaIntegration(webhook_fn.function, allow_test_invoke=False),
            authorization_type=apigw.AuthorizationType.NONE,
            request_validator=validator,
            request_models={"application/json": model},
            request_parameters={"method.request.path.crm": True},
        )
        nag.acknowledge(method, "APIG4", WEBHOOK_REASON)
        nag.acknowledge(method, "COG4", WEBHOOK_REASON)

    def _user_pool(self, config: StackConfig) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "Reviewers",
            user_pool_name=config.names.of("reviewers"),
            self_sign_up_enabled=False,  # reviewers are invited by an administrator
            sign_in_aliases=cognito.SignInAliases(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_symbols=True,
                require_uppercase=True,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            pool,
            "COG8",
            "The Plus feature plan (threat protection) is billed per active user; reviewers are a small "
            "invited group with MFA required. Turn it on in the console if your policy asks for it.",
        )
        return pool

    def _acknowledge_account_role(self) -> None:
        role = self.api.node.try_find_child("CloudWatchRole")
        if role is not None:
            nag.acknowledge(
                role,
                "IAM4",
                "API Gateway's account-level logging role: AmazonAPIGatewayPushToCloudWatchLogs is the "
                "policy AWS provides for exactly this role (Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AmazonAPIGatewayPushToCloudWatchLogs).",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
            )
