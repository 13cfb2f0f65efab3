import { App, CfnElement, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keepLogicalId, logicalIdAt } from '../../lib/constructs/logical-id';

const idOf = (stack: Stack, c: Construct) => stack.resolve((c.node.defaultChild as CfnElement).logicalId) as string;

it('computes the logical ids aws-cdk-lib allocates', () => {
  const stack = new Stack(new App(), 'S');
  const top = new s3.Bucket(stack, 'Lake');
  const nested = new sqs.Queue(new Construct(new Construct(stack, 'Outer'), 'Inner'), 'Queue-1');
  const lone = new s3.CfnBucket(stack, 'Lone');
  expect(logicalIdAt(['Lake', 'Resource'])).toBe(idOf(stack, top));
  expect(logicalIdAt(['Outer', 'Inner', 'Queue-1', 'Resource'])).toBe(idOf(stack, nested));
  expect(logicalIdAt(['Lone'])).toBe(stack.resolve(lone.logicalId));
  expect(logicalIdAt(['Stream', 'Resource'])).toBe('Stream790BDEE4'); // the data lake's stream, before the split
});

it('gives a moved resource the id it had at its former path', () => {
  const stack = new Stack(new App(), 'S');
  const moved = new s3.Bucket(new Construct(stack, 'Storage'), 'Lake');
  keepLogicalId(moved, 'Lake');
  expect(idOf(stack, moved)).toBe(logicalIdAt(['Lake', 'Resource']));
  const l1 = new s3.CfnBucket(new Construct(stack, 'Group'), 'Raw');
  keepLogicalId(l1, 'Raw');
  expect(stack.resolve(l1.logicalId)).toBe('Raw');
  expect(() => keepLogicalId(new Construct(stack, 'Empty'), 'X')).toThrow('S/Empty has no CloudFormation resource whose logical id could be kept');
});
