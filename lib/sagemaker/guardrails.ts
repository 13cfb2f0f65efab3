/**
 * The IAM conditions that keep every SageMaker job and model of a role inside the platform's VPC,
 * network-isolated, with inter-container traffic encrypted and the stack's key on volumes and
 * outputs. Condition keys of the Service Authorization Reference ("Actions, resources, and
 * condition keys for Amazon SageMaker",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html:
 * CreateTrainingJob, CreateHyperParameterTuningJob and CreateProcessingJob support all of them;
 * CreateModel the VPC and isolation keys; CreateTransformJob and CreateEndpointConfig the key
 * ones). test/sagemaker/run-authorization.test.ts checks every key against the reference.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

export interface GuardrailProps {
  readonly subnetIds: string[];
  readonly securityGroupId: string;
  readonly keyArn: string;
}

/** Condition blocks and Deny statements for roles that create SageMaker jobs. */
export class JobGuardrails {
  constructor(private readonly props: GuardrailProps) {}

  /** Every subnet and security group of the request is this VPC's, and there are some. */
  public inVpc(): Record<string, unknown> {
    return {
      Null: { 'sagemaker:VpcSubnets': 'false', 'sagemaker:VpcSecurityGroupIds': 'false' },
      'ForAllValues:StringEquals': { 'sagemaker:VpcSubnets': this.props.subnetIds, 'sagemaker:VpcSecurityGroupIds': [this.props.securityGroupId] },
    };
  }

  /** A job (training, tuning, processing): in the VPC, isolated, encrypted between instances, the stack key on volume and output. */
  public job(): Record<string, unknown> {
    return {
      ...this.inVpc(),
      Bool: { 'sagemaker:NetworkIsolation': 'true', 'sagemaker:InterContainerTrafficEncryption': 'true' },
      ...this.keys(),
    };
  }

  /** A model: in the VPC and isolated. */
  public model(): Record<string, unknown> {
    return { ...this.inVpc(), Bool: { 'sagemaker:NetworkIsolation': 'true' } };
  }

  /** A transform job: the stack key on volume and output. */
  public transform(): Record<string, unknown> {
    return this.keys();
  }

  /** An endpoint configuration: the stack key on the instances' volumes. */
  public endpointConfig(): Record<string, unknown> {
    return { ArnEquals: { 'sagemaker:VolumeKmsKeyArn': this.props.keyArn } };
  }

  /**
   * The stack key on volume and output. The *Arn keys: sagemaker:VolumeKmsKey and
   * sagemaker:OutputKmsKey are deprecated and no longer listed for these actions ("This key has been
   * deprecated. It has been replaced by sagemaker:VolumeKmsKeyArn"); a condition on a key the
   * request does not carry never matches, and the Allow would authorize nothing. ARN-typed, so
   * ArnEquals; the request must name the key by its ARN (the stack always does).
   */
  private keys(): Record<string, unknown> {
    return { ArnEquals: { 'sagemaker:VolumeKmsKeyArn': this.props.keyArn, 'sagemaker:OutputKmsKeyArn': this.props.keyArn } };
  }

  /** Deny backs the Allow conditions up: no subnets, or isolation off, is refused whatever else allows it. */
  public denies(actions: string[]): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'DenyJobsOutsideVpc', effect: iam.Effect.DENY, actions, resources: ['*'],
        conditions: { Null: { 'sagemaker:VpcSubnets': 'true' } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyJobsWithoutNetworkIsolation', effect: iam.Effect.DENY, actions, resources: ['*'],
        conditions: { Bool: { 'sagemaker:NetworkIsolation': 'false' } },
      }),
    ];
  }
}
