/** Reading a synthesized cloud assembly (cdk.out*) without aws-cdk-lib, for the bench, cost and docs CLIs. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly Conditions?: Record<string, unknown>;
}

/** One construct metadata entry of the manifest (`aws:cdk:logicalId`, acknowledgements, ...). */
export interface MetadataEntry {
  readonly type: string;
  readonly data?: unknown;
}

export interface AssemblyStack {
  /** The stack's construct id, e.g. `DataLake`. */
  readonly id: string;
  readonly artifactId: string;
  /** The stack's `architecture` tag (`datalake`, ...), which names its docs page. */
  readonly architecture?: string;
  readonly templateFile: string;
  readonly template: Template;
  /** Construct metadata by construct path, including the file recent CDK versions write beside the manifest. */
  readonly metadata: Readonly<Record<string, readonly MetadataEntry[]>>;
}

interface ManifestArtifact {
  type: string;
  displayName?: string;
  properties?: { templateFile?: string; tags?: Record<string, string> };
  metadata?: Record<string, MetadataEntry[]>;
  additionalMetadataFile?: string;
}

/** Every CloudFormation stack in the assembly at `outdir`, in manifest order. */
export function readStacks(outdir: string): AssemblyStack[] {
  const manifestFile = path.join(outdir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`No cloud assembly at ${outdir} (missing ${manifestFile}): synthesize first`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([artifactId, a]) => {
      const templateFile = path.join(outdir, a.properties!.templateFile!);
      const metadata: Record<string, MetadataEntry[]> = { ...(a.metadata ?? {}) };
      if (a.additionalMetadataFile) {
        const more = JSON.parse(fs.readFileSync(path.join(outdir, a.additionalMetadataFile), 'utf8')) as Record<string, MetadataEntry[]>;
        for (const [p, entries] of Object.entries(more)) {
          metadata[p] = [...(metadata[p] ?? []), ...entries];
        }
      }
      return {
        id: a.displayName ?? artifactId,
        artifactId,
        architecture: a.properties?.tags?.architecture,
        templateFile,
        template: JSON.parse(fs.readFileSync(templateFile, 'utf8')) as Template,
        metadata,
      };
    });
}

/** The construct path CDK records on a resource (`Stack/Construct/Resource`), or its logical id. */
export function constructPathOf(logicalId: string, resource: TemplateResource): string {
  const p = resource.Metadata?.['aws:cdk:path'];
  return typeof p === 'string' ? p : logicalId;
}
