#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addArchitectures } from '../lib/app';
import { environmentFrom } from '../lib/config/environment';
import { defaultProfileNotice, profileFromContext } from '../lib/config/profile';
import { addGates, synthesizeGated } from '../lib/gates';

const app = new App();
addGates(app);
const env = environmentFrom({
  contextAccount: app.node.tryGetContext('account'),
  contextRegion: app.node.tryGetContext('region'),
  env: process.env,
});
const notice = defaultProfileNotice(app.node.tryGetContext('profile'), env?.account);
if (notice !== undefined) {
  console.error(notice);
}
addArchitectures(app, { profile: profileFromContext(app.node.tryGetContext('profile')), env });

synthesizeGated(app);
