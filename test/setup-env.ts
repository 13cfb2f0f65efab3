// Handlers read their configuration at module load; give them a region so SDK clients construct.
process.env.AWS_REGION ??= 'eu-west-1';
