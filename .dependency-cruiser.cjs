/**
 * baas' layering, checked by `npm run lint:deps` (part of `npm test`, so CI enforces it).
 * See README "Layers" for the module map.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'cli-is-the-top',
      comment: 'src/cli/ wires commands: nothing below it may import it (move shared code to src/format.ts or a core module).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'services-never-import-stack',
      comment: 'The engine drivers (src/services/) are used by src/stack/, never the other way round; shared names, labels and addresses live in src/model/.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^src/stack/' },
    },
    {
      name: 'planners-are-pure',
      comment: 'Planners import no runtime or engine code: the inspection adapter takes the Sql seam (src/pg/sql.ts) and the CLI connects.',
      severity: 'error',
      from: { path: '^src/planners/' },
      to: {
        path: [
          '^node_modules/(pg|pg-[^/]+|ioredis|@ioredis/[^/]+|dockerode|docker-modem|mongodb|execa)/',
          '^src/(runtime|stack|services|dashboard|branch|migrate|rls|tenant|images|doctor)/',
          '^src/pg/(client|errors)\\.ts$',
        ],
      },
    },
    {
      name: 'model-is-data',
      comment: 'src/model/ holds names, labels, addresses and types: it depends on nothing of baas.',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'pg-layer-is-a-leaf',
      comment: 'src/pg/ wraps the driver; it must not know about stacks, engines or commands.',
      severity: 'error',
      from: { path: '^src/pg/' },
      to: { path: '^src/(cli|stack|services|branch|migrate|rls|tenant|dashboard|planners)/' },
    },
    {
      name: 'shared-helpers-are-leaves',
      comment: 'src/format.ts and src/wait.ts are used everywhere and import no baas layer.',
      severity: 'error',
      from: { path: '^src/(format|wait)\\.ts$' },
      to: { path: '^src/', pathNot: '^src/errors\\.ts$' },
    },
    {
      name: 'dashboard-below-serve',
      comment: 'baas serve (src/serve/) builds on the dashboard\'s collector and alert rules; the dashboard never imports the agent (the CLI composes both).',
      severity: 'error',
      from: { path: '^src/dashboard/' },
      to: { path: '^src/serve/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.d.ts'] },
  },
};
