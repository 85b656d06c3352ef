/** A real StageContext for driving a stage or reader directly in tests (records rejects and rows). */
import { loadConfig, type Config } from '../../pipeline/config.ts';
import { standaloneContext, type StandaloneContext } from '../../pipeline/context.ts';

export type TestContext = StandaloneContext;

export function testContext(config: Config = loadConfig(), unit = 'test'): TestContext {
  return standaloneContext({ config, unit });
}
