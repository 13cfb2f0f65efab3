/**
 * The benchmark's yardstick: the smallest CDK app (one stack, one bucket) run by the same CDK CLI,
 * tsx and aws-cdk-lib as the real app. `npm run bench` divides the real app's synth time by this
 * one's, so the ratio says what the project adds on top of CDK itself, whatever the machine.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

const app = new App();
new s3.Bucket(new Stack(app, 'Baseline'), 'Bucket');
app.synth();
