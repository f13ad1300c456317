#!/usr/bin/env bash
# Scaffolds an Nx project with the workspace's conventions:
#   tools/scripts/new-project.sh lib|app NAME "tag1,tag2"
set -euo pipefail
kind=$1; name=$2; tags=$3
root="${kind}s/${name}"
mkdir -p "$root/src"
tagjson=$(printf '%s' "$tags" | awk -F, '{for(i=1;i<=NF;i++){printf "%s\"%s\"", (i>1?", ":""), $i}}')
if [ "$kind" = app ]; then tsmain=tsconfig.app.json; else tsmain=tsconfig.lib.json; fi
if [ "$kind" = app ]; then
  build='"commands": ["tsc -p {projectRoot}/tsconfig.app.json", "tsc-alias -p {projectRoot}/tsconfig.app.json"], "parallel": false'
else
  build='"command": "tsc -p {projectRoot}/tsconfig.lib.json"'
fi
cat > "$root/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "../../node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$root/src",
  "projectType": "$([ "$kind" = app ] && echo application || echo library)",
  "tags": [$tagjson],
  "targets": {
    "build": {
      "executor": "nx:run-commands",
      "outputs": ["{workspaceRoot}/dist/{projectRoot}"],
      "options": { $build }
    },
    "typecheck": {
      "executor": "nx:run-commands",
      "options": { "command": "tsc -p {projectRoot}/tsconfig.spec.json --noEmit" }
    },
    "lint": {
      "executor": "nx:run-commands",
      "options": { "command": "eslint --max-warnings=0 {projectRoot}" }
    },
    "test": {
      "executor": "nx:run-commands",
      "options": { "command": "jest -c {projectRoot}/jest.config.js --passWithNoTests" }
    }
  }
}
JSON
cat > "$root/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "files": [],
  "include": [],
  "references": [{ "path": "./$tsmain" }, { "path": "./tsconfig.spec.json" }]
}
JSON
cat > "$root/$tsmain" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "outDir": "../../dist/$root",
    "rootDir": "../..",
    "declaration": $([ "$kind" = app ] && echo false || echo true)
  },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.spec.ts", "src/**/*.test-support.ts"]
}
JSON
cat > "$root/tsconfig.spec.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "types": ["node", "jest"], "noEmit": true },
  "include": ["src/**/*.ts", "test/**/*.ts"]
}
JSON
cat > "$root/jest.config.js" <<JSON

module.exports = {
  displayName: '$name',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
JSON
[ -f "$root/src/index.ts" ] || [ "$kind" = app ] || echo "export {};" > "$root/src/index.ts"
echo "created $root"
