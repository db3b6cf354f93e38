// TEMPORARY placeholder: the guard helper replaces this file. Keep the exported names.
/** Module name of the guard in the runtime directory (file `${GUARD_MODULE}.py`). */
export const GUARD_MODULE = "gatewayctl_guard";
/** Value for litellm_settings.callbacks that loads the guard. */
export const GUARD_CALLBACK = `${GUARD_MODULE}.proxy_handler_instance`;
/** The Python source of the guard, written as gatewayctl_guard.py next to config.yaml. */
export const GUARD_MODULE_SOURCE = "# placeholder\n";
