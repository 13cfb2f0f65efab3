import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * Registry accounts of SageMaker's first-party framework images (sagemaker-xgboost 1.2-1 and later,
 * sagemaker-scikit-learn), per region. From the "Docker Registry Paths and Example Code" pages of
 * the SageMaker developer guide (the same table the SageMaker Python SDK ships as
 * image_uri_config/xgboost.json and sklearn.json). aws-cdk-lib has no lookup for these images
 * (its region-info only knows the Deep Learning Containers account, 763104351884), so the project
 * keeps this table and tests it.
 */
export const SAGEMAKER_FRAMEWORK_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

/** The XGBoost version used for the built-in algorithm, script mode and hosting. */
export const XGBOOST_VERSION = '1.7-1';
/** The scikit-learn version of the preprocessing container of the inference pipeline. */
export const SKLEARN_VERSION = '1.2-1';

function imageUri(repository: string, tag: string, region: string): string {
  const account = SAGEMAKER_FRAMEWORK_ACCOUNTS[region];
  if (account === undefined) {
    throw new Error(`No SageMaker ${repository} image registry known for region ${JSON.stringify(region)} in SAGEMAKER_FRAMEWORK_ACCOUNTS (lib/sagemaker/images.ts); known: ${Object.keys(SAGEMAKER_FRAMEWORK_ACCOUNTS).join(', ')}`);
  }
  return `${account}.dkr.ecr.${region}.amazonaws.com/${repository}:${tag}`;
}

/** Built-in XGBoost algorithm image (also the script-mode XGBoost framework image). */
export function xgboostImage(region: string, version = XGBOOST_VERSION): string {
  return imageUri('sagemaker-xgboost', version, region);
}

/** scikit-learn framework image (CPU, Python 3), used by the preprocessing step of the pipeline. */
export function sklearnImage(region: string, version = SKLEARN_VERSION): string {
  return imageUri('sagemaker-scikit-learn', `${version}-cpu-py3`, region);
}

/**
 * The image URI for the stack's region: the literal URI when the stack has a region, otherwise a
 * CloudFormation mapping lookup on AWS::Region (environment-agnostic stacks), so one template
 * deploys in every region of the table and fails to deploy, not to run, anywhere else.
 */
export function frameworkImageFor(scope: Construct, framework: 'xgboost' | 'sklearn'): string {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    return framework === 'xgboost' ? xgboostImage(stack.region) : sklearnImage(stack.region);
  }
  const id = 'SageMakerImageAccounts';
  const mapping = (stack.node.tryFindChild(id) as CfnMapping | undefined) ?? new CfnMapping(stack, id, {
    mapping: Object.fromEntries(Object.entries(SAGEMAKER_FRAMEWORK_ACCOUNTS).map(([region, account]) => [region, { account }])),
  });
  const registry = `${mapping.findInMap(Aws.REGION, 'account')}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}`;
  return framework === 'xgboost'
    ? `${registry}/sagemaker-xgboost:${XGBOOST_VERSION}`
    : `${registry}/sagemaker-scikit-learn:${SKLEARN_VERSION}-cpu-py3`;
}
