-- The ncpu language server for Neovim 0.11+: `vim.lsp.enable('ncpu')` starts it on Python buffers.
--
-- Override any field with `vim.lsp.config('ncpu', { ... })` or `require('ncpu').setup({ ... })`.

---@type vim.lsp.Config
return {
  cmd = { 'ncpu-lsp' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.py', '.git' },
  -- The server reads the `ncpu` section (camelCase keys, see `:help ncpu-settings` in the README).
  -- A non-empty default keeps the section a JSON object on the wire (an empty Lua table is ambiguous).
  settings = {
    ncpu = {
      backend = 'llama_cpp',
    },
  },
  -- Send each change at once. "Solve all stubs" applies one edit per stub, and the server computes each
  -- edit on the text it has; with the default 150 ms debounce the change made by the previous edit would
  -- still be waiting here, and a new buffer's version 0 makes Neovim skip its stale-edit check.
  flags = {
    debounce_text_changes = 0,
  },
  -- The server's state as data (server/contract.py): loading, solving which stub at which step, error.
  handlers = {
    ['ncpu/status'] = function(_, result, ctx)
      require('ncpu').on_status(ctx.client_id, result)
    end,
  },
  -- Extra initialization options; `before_init` puts `settings.ncpu` under them so the server has its
  -- settings before the first request (it also receives them with `workspace/didChangeConfiguration`).
  init_options = {},
  before_init = function(params, config)
    local section = (config.settings or {}).ncpu or {}
    params.initializationOptions = vim.tbl_deep_extend('force', {}, section, config.init_options or {})
  end,
}
