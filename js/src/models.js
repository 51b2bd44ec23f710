// @ts-check
/**
 * The chart's bqplot models as the controls reach them: their shapes, the option that
 * marks the front end's own changes, finding a model that `meta` names, and models
 * that live in this page only.
 */

/** Options of every front-end-only `set`: listeners tell them from the kernel's changes. */
export const LOCAL = Object.freeze({ cellflux: true });

/**
 * @typedef {{cellflux?: boolean}} SetOptions
 * @typedef {{get(name: string): any, set(a: any, b?: any, c?: any): any, on(e: string, f: Function): void,
 *   off(e: string, f: Function): void, views?: Record<string, Promise<any>>, state_change?: Promise<any>}} Model
 * @typedef {{key: string, colour: string, axis: number, mark: Model | null, hidden: boolean,
 *   raw: {xs: ArrayLike<number>, ys: ArrayLike<number>} | null, smoothed: Float64Array | null}} Line
 * @typedef {{meta: any, scale: Model | null, axis: Model | null, log: boolean, local: Model | null,
 *   localAxis: Model | null}} Axis
 */

/** Whether a change came from this front end (a `set` with LOCAL), not from the kernel. @param {SetOptions | undefined} options */
export const isLocal = (options) => !!(options && options.cellflux);

/** A model id from `meta` ("IPY_MODEL_" prefix or not). @param {string} id */
const modelId = (id) => String(id).replace(/^IPY_MODEL_/, "");

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The model with id `id`, once the widget manager has it; null after 5 s without.
 * @param {any} model anywidget's model, whose widget manager holds the chart's
 * @param {string} id @returns {Promise<Model | null>}
 */
export async function findModel(model, id) {
  if (!id) return null;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return await model.widget_manager.get_model(modelId(id));
    } catch {
      await sleep(100); // not registered yet: its comm_open is still being handled
    }
  }
  return null;
}

/**
 * A model of bqplot's module (a scale, an axis) that lives in this page only: made by
 * the widget manager without a comm, so nothing about it reaches the kernel.
 * @param {any} model anywidget's model @param {Model} like a model of the same module
 * @param {string} name @param {any} state @returns {Promise<Model>}
 */
export async function localModel(model, like, name, state) {
  return model.widget_manager.new_model(
    {
      model_name: `${name}Model`,
      model_module: like.get("_model_module"),
      model_module_version: like.get("_model_module_version"),
      view_name: name,
      view_module: like.get("_view_module"),
      view_module_version: like.get("_view_module_version"),
      model_id: `cellflux-local-${Math.random().toString(36).slice(2)}`,
    },
    state,
  );
}
