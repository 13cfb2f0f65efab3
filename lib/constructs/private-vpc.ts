import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../gates';
import { SecureLogGroup } from './secure-log-group';

/** What SageMaker's inter-container traffic encryption needs between a job's instances, besides TCP. */
const INTER_CONTAINER_ENCRYPTION_PORTS: ReadonlyArray<[ec2.Port, string]> = [
  [ec2.Port.udp(500), 'IKE, UDP 500'],
  // Not Port.esp(): it writes FromPort/ToPort 50, which EC2 ignores for a protocol without ports
  // (cfn-lint W3687); the rule is the protocol alone.
  [new ec2.Port({ protocol: ec2.Protocol.ESP, stringRepresentation: 'ESP' }), 'ESP, IP protocol 50'],
];

export interface PrivateVpcProps {
  /** Key of the flow-log log group. */
  readonly encryptionKey: kms.IKey;
  /**
   * Availability zones. Every interface endpoint bills per AZ, so this multiplies their idle cost.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * Interface endpoints to create, by construct id (e.g. `{ SageMakerApi: InterfaceVpcEndpointAwsService.SAGEMAKER_API }`).
   * Each costs ~$0.01/h per AZ while it exists, so pass only what something inside the VPC calls.
   * @default - none: only the free S3 gateway endpoint
   */
  readonly interfaceEndpoints?: Readonly<Record<string, ec2.IInterfaceVpcEndpointService>>;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Removal policy of the flow-log log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A VPC with no way out: isolated subnets only (no internet gateway, no NAT), every flow logged to
 * an encrypted log group, the default security group stripped of rules, an S3 gateway endpoint
 * whose policy admits only the buckets registered with `allowBucket`, and a security group for
 * workloads that lets its members reach each other (distributed training over TCP, and the IPsec of
 * inter-container traffic encryption) and nothing else.
 */
export class PrivateVpc extends Construct {
  public readonly vpc: ec2.Vpc;
  /** For training jobs, models, notebooks: members talk to members and to the endpoints. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  public readonly flowLogGroup: logs.ILogGroup;
  public readonly interfaceEndpoints: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;
  private readonly bucketStatement: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: PrivateVpcProps) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    if (!Token.isUnresolved(maxAzs) && (!Number.isInteger(maxAzs) || maxAzs < 1)) {
      throw new Error(`${this.node.path}: maxAzs must be a whole number >= 1 (got ${maxAzs})`);
    }
    this.flowLogGroup = new SecureLogGroup(this, 'FlowLogs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs,
      natGateways: 0,
      // No public subnet means no internet gateway: nothing inside can reach or be reached from the internet.
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: true,
      flowLogs: {
        All: { destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup), trafficType: ec2.FlowLogTrafficType.ALL },
      },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'WorkloadSecurityGroup', {
      vpc: this.vpc,
      description: 'SageMaker workloads: members reach each other (distributed training) and the VPC endpoints only',
      allowAllOutbound: false,
    });
    // Distributed training: instances of one job exchange gradients/parameters with each other
    // over TCP (MPI, NCCL sockets, parameter servers), and members reach the interface endpoints'
    // ENIs, which sit in this same group. (EFA would need all protocols; no EFA instance here.)
    this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.allTcp(), 'Members of this group (distributed training, endpoints)');
    this.securityGroup.addEgressRule(this.securityGroup, ec2.Port.allTcp(), 'Members of this group (distributed training)');
    // Inter-container traffic encryption (on for every SageMaker job here) is IPsec between a job's
    // instances: key exchange on UDP 500 and the encrypted packets as IP protocol 50 (ESP), in and
    // out between members ("Protect communications between ML compute instances in a distributed
    // training job": https://docs.aws.amazon.com/sagemaker/latest/dg/train-encrypt.html).
    for (const [port, what] of INTER_CONTAINER_ENCRYPTION_PORTS) {
      this.securityGroup.addIngressRule(this.securityGroup, port, `Members of this group: ${what} (inter-container traffic encryption)`);
      this.securityGroup.addEgressRule(this.securityGroup, port, `Members of this group: ${what} (inter-container traffic encryption)`);
    }

    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    // HTTPS out to any address, but the route tables are the fence: isolated subnets route only
    // inside the VPC and, through the gateway endpoint, to S3 (its prefix list id has no
    // CloudFormation attribute to name here).
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the S3 gateway endpoint and the interface endpoints (no other route exists)');
    // Only the buckets registered with allowBucket: a credential used inside the VPC cannot copy
    // data to a bucket of another account through this endpoint.
    this.bucketStatement = new iam.PolicyStatement({
      sid: 'ProjectBucketsOnly',
      principals: [new iam.AnyPrincipal()],
      actions: [
        's3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:GetBucketLocation',
        's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:ListBucketMultipartUploads',
      ],
    });
    this.s3Endpoint.addToPolicy(this.bucketStatement);
    this.node.addValidation({
      validate: () => (this.bucketStatement.hasResource ? [] : [`${this.node.path}: call allowBucket() for at least one bucket, or the S3 endpoint admits nothing`]),
    });

    const flowLogRole = this.vpc.node.findChild('All').node.tryFindChild('IAMRole');
    if (flowLogRole) {
      acknowledge(flowLogRole, 'NIST.800.53.R5-IAMNoInlinePolicy',
        'CDK writes the flow-log delivery policy inline on the role only VPC Flow Logs assumes; it is scoped to this one log group');
    }
    acknowledgeRestrictDefaultSgProvider(this);

    const endpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
    for (const [endpointId, service] of Object.entries(props.interfaceEndpoints ?? {})) {
      endpoints[endpointId] = this.vpc.addInterfaceEndpoint(endpointId, {
        service,
        privateDnsEnabled: true,
        // Not `open`: that admits the whole VPC CIDR; members of the workload group are enough.
        open: false,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [this.securityGroup],
      });
    }
    this.interfaceEndpoints = endpoints;
  }

  /** Admit a bucket (and its objects) through the S3 gateway endpoint. */
  public allowBucket(bucket: s3.IBucket): void {
    this.bucketStatement.addResources(bucket.bucketArn, bucket.arnForObjects('*'));
  }
}

/** CDK's singleton provider that strips the default security group's rules (restrictDefaultSecurityGroup). */
function acknowledgeRestrictDefaultSgProvider(scope: Construct): void {
  const provider = Stack.of(scope).node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
  if (provider === undefined || provider.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
    return;
  }
  acknowledge(provider, 'guard:lambda_inside_vpc_check',
    'aws-cdk-lib singleton that removes the default security group rules at deploy; it calls only the EC2 API and runs only during deploy');
}
