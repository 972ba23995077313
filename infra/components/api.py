"""The REST API: the review API behind IAM (or Cognito) and the CRM webhook.

``ANY /`` and ``ANY /{proxy+}`` go to the review-api function with AWS_IAM (SigV4) authorization,
or a Cognito user-pool authorizer when ``cognito`` is on. ``POST /webhooks/{crm}`` (``/webhooks/hubspot``
for HubSpot) has no gateway authorization, because HubSpot signs with an app secret, not SigV4: the
gateway only checks that the body is a JSON array of events; the function answers 404 for a ``{crm}``
that is not the deployment's CRM kind or sends no webhooks (the internal table), and checks the
signature. The gateway does not require a signature header: HubSpot signs with v3 or v1/v2 headers
depending on the app, the function accepts each, and a request refused here would never reach its
retry logic.
"""

from __future__ import annotations

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
        integration = apigw.LambdaIntegration(review_fn.function, allow_test_invoke=False)
        authorizer = self._cognito_authorizer(config) if config.cognito else None
        authorization = apigw.AuthorizationType.COGNITO if config.cognito else apigw.AuthorizationType.IAM
        proxy = self.api.root.add_resource("{proxy+}")
        for resource in (self.api.root, proxy):
            method = resource.add_method(
                "ANY", integration, authorization_type=authorization, authorizer=authorizer
            )
            if not config.cognito:
                nag.acknowledge(
                    method,
                    "COG4",
                    "Reviewers authenticate with AWS IAM (SigV4) by default; deploy with -c cognito=true "
                    "for a Cognito user-pool authorizer instead.",
                )

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

    def _cognito_authorizer(self, config: StackConfig) -> apigw.CognitoUserPoolsAuthorizer:
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
        pool.add_client("ReviewUi", auth_flows=cognito.AuthFlow(user_srp=True), generate_secret=False)
        return apigw.CognitoUserPoolsAuthorizer(self, "ReviewersAuthorizer", cognito_user_pools=[pool])

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
