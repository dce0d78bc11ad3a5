/** Pulumi type tokens of the resources several tests look up in a program run (`run.ofType`, `run.one`). */
export const RESOURCE = "aws:apigateway/resource:Resource";
export const METHOD = "aws:apigateway/method:Method";
export const INTEGRATION = "aws:apigateway/integration:Integration";
export const DEPLOYMENT = "aws:apigateway/deployment:Deployment";
export const METHOD_RESPONSE = "aws:apigateway/methodResponse:MethodResponse";
export const INTEGRATION_RESPONSE = "aws:apigateway/integrationResponse:IntegrationResponse";
export const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
export const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
