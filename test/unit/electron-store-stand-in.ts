import Conf, { type Options } from 'conf';

/**
 * electron-store without Electron, for vi.mock('electron-store', ...): the same mapping of options onto
 * conf (which does the real work: the JSON file, the schema, the migrations) that electron-store 12
 * makes, minus the Electron lookups. electron-store itself cannot load under Vitest: it is an
 * external module, so it imports the real 'electron' package, which is not installed here.
 *
 * `onConstruct` lets a test see what electron-store would do on the side (it registers an IPC listener).
 */
export default class ElectronStoreStandIn<T extends Record<string, unknown>> extends Conf<T> {
  static onConstruct: (() => void) | undefined;

  constructor(options: Omit<Options<T>, 'configName' | 'projectName'> & { name?: string }) {
    const { name = 'config', cwd, ...rest } = options;
    if (cwd === undefined) throw new Error('the stand-in needs an absolute cwd (there is no app.getPath here)');
    super({ ...rest, cwd, configName: name } as Options<T>);
    ElectronStoreStandIn.onConstruct?.();
  }
}
