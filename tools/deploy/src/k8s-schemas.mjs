// Validates Kubernetes objects against the Kubernetes API schemas and the CRD schemas
// of KEDA and Strimzi, as published in the npm packages kubernetes-models,
// @kubernetes-models/keda and @kubernetes-models/strimzi-kafka-operator (OpenAPI
// schemas compiled to validators; no cluster, no network).
//
//   node tools/deploy/src/k8s-schemas.mjs < objects.json
//
// Reads a JSON array of objects on stdin and prints a JSON array with one entry per
// object: {apiVersion, kind, name, errors: string[]}. An object whose apiVersion and
// kind no package has a schema for gets an error too, so nothing goes unchecked.
//
// Plain JavaScript and ES modules because the packages are ES modules only (their
// exports have no `require` condition), which Jest's CommonJS runtime cannot load; the
// Jest spec tools/deploy/src/k8s-schemas.spec.ts runs this file with Node.

/** apiVersion -> the module that exports its kinds' model classes. */
const MODULES = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'batch/v1': 'kubernetes-models/batch/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
  'kafka.strimzi.io/v1beta2': '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1beta2',
  'kafka.strimzi.io/v1': '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1',
};

/** The ajv errors of a failed validate(), one line each: `/spec/replicas must be integer`. */
function describe(error) {
  const details = Array.isArray(error?.errors) ? error.errors : [];
  if (details.length === 0) return [String(error?.message ?? error)];
  return details.map((d) => {
    const where = d.instancePath || '/';
    const extra =
      d.keyword === 'enum' && d.params?.allowedValues
        ? ` (${d.params.allowedValues.join(', ')})`
        : d.keyword === 'additionalProperties' && d.params?.additionalProperty
          ? ` (${d.params.additionalProperty})`
          : '';
    return `${where} ${d.message}${extra}`;
  });
}

export async function validateObjects(objects) {
  const modules = new Map();
  const results = [];
  for (const object of objects) {
    const apiVersion = object?.apiVersion;
    const kind = object?.kind;
    const result = { apiVersion, kind, name: object?.metadata?.name, errors: [] };
    results.push(result);
    const specifier = MODULES[apiVersion];
    if (!specifier) {
      result.errors.push(`no schema for apiVersion ${apiVersion} (known: ${Object.keys(MODULES).join(', ')})`);
      continue;
    }
    if (!modules.has(specifier)) modules.set(specifier, await import(specifier));
    const Model = modules.get(specifier)[kind];
    if (typeof Model !== 'function') {
      result.errors.push(`no schema for kind ${kind} in ${apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      result.errors.push(...describe(error));
    }
  }
  return results;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const objects = JSON.parse(input);
  if (!Array.isArray(objects)) throw new Error('expected a JSON array of objects on stdin');
  process.stdout.write(`${JSON.stringify(await validateObjects(objects))}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    process.stderr.write(`k8s-schemas: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
