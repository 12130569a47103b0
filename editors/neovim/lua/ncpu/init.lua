-- ncpu for Neovim: setup, the :NcpuSolve / :NcpuSolveFile buffer commands, and a statusline helper.
--
-- The client itself is configured by `lsp/ncpu.lua` and started by `vim.lsp.enable('ncpu')`.

---Settings of the `ncpu` section, as the server reads them (camelCase, like the VS Code settings).
---@class ncpu.Settings
---@field backend? string Backend: "llama_cpp" (default), "transformers", "openai", "fake" (tests) or a plugin's.
---@field modelPath? string A GGUF file (or the fake backend's JSON script); unset uses the embedded model.
---@field modelName? string openai: the served model; transformers: a repo id in the local cache.
---@field device? string transformers: "auto" (default), "cpu", "cuda", "cuda:1"...
---@field baseUrl? string openai: the server's base URL (default "http://127.0.0.1:8000/v1").
---@field apiKeyEnv? string openai: the environment variable holding the API key (default "NCPU_OPENAI_API_KEY").
---@field requestTimeout? number openai: seconds one request may take (default 120).
---@field escalationTiers? string[] Larger models to escalate to, cheapest first: GGUF files or 'BACKEND:TARGET' (openai:MODEL); unset: the ncpu[large] tier when installed.
---@field escalate? boolean Escalate to the larger model (default true).
---@field maxSamples? integer Model generations per solve (default 24).
---@field maxTokens? integer Generated tokens per solve (default 12000).
---@field maxSeconds? number Wall-clock seconds per solve (default 300).
---@field wallSeconds? number Sandbox wall-clock limit per candidate (default 5).
---@field memoryMb? integer Sandbox memory limit per candidate, MiB (default 1024).
---@field unsafeSandbox? boolean Verify where the OS refuses the sandbox's kernel boundary, best effort (default false).
---@field projectPython? string The project's interpreter (or venv folder) candidates run on; unset: the workspace's .venv/venv, $VIRTUAL_ENV, the server's.
---@field storePath? string Store directory; unset uses the user cache directory.
---@field offerUnverified? boolean Offer marked unverified bodies for stubs without examples (default false).
---@field idleUnloadSeconds? number Free the model after this long without a solve; 0 keeps it (default 600).
---@field showFirstPass? boolean Insert the first passing body at once, marked '# ncpu: checking', while more candidates are compared (default true).
---@field gpuLayers? integer llama_cpp: layers offloaded to the GPU; unset: all when llama.cpp has GPU support; -1 all.
---@field cpuSafe? boolean llama_cpp: no repacked weight layouts or AMX kernels; slower, runs on every CPU (default false).
---@field modelHost? string 'process' (its own process), 'inline', or 'auto' (default; process for native backends).

---@class ncpu.Options
---@field cmd? string[] Command that starts the server (default `{ 'ncpu-lsp' }`).
---@field settings? ncpu.Settings The `ncpu` settings.
---@field enable? boolean Call `vim.lsp.enable('ncpu')` (default true).
---@field notify? boolean Show solve progress with `vim.notify` (default true).

local status = require('ncpu.status')

local M = {}

---@type ncpu.Options
local defaults = {
  cmd = nil,
  settings = {},
  enable = true,
  notify = true,
}

---@type ncpu.Options
M.options = vim.deepcopy(defaults)

local did_setup = false

---Kinds of ncpu's code actions (server/contract.py): pick them by kind, never by title.
M.kinds = {
  solve = 'refactor.rewrite.ncpu.solve',
  solve_file = 'refactor.rewrite.ncpu.solveFile',
  insert_unverified = 'refactor.rewrite.ncpu.insertUnverified',
  add_example = 'refactor.rewrite.ncpu.addExample',
}

---Configure and enable the client; only the first call has an effect.
---@param opts? ncpu.Options
function M.setup(opts)
  if did_setup then
    return
  end
  did_setup = true
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  ---@type vim.lsp.Config
  local config = {}
  if M.options.cmd then
    config.cmd = M.options.cmd
  end
  if next(M.options.settings) ~= nil then
    config.settings = { ncpu = M.options.settings }
  end
  vim.lsp.config('ncpu', config)
  if M.options.enable then
    vim.lsp.enable('ncpu')
  end
end

---@param bufnr integer
---@return vim.lsp.Client?
local function ncpu_client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'ncpu' })[1]
end

---Pick the action to run: of those of `kind`, the store's verified edit first (its `data.source`, or its
---`isPreferred` from a server that sends no data), then the first.
---@param actions (lsp.CodeAction|lsp.Command)[]
---@param kind string One of `M.kinds`.
---@return lsp.CodeAction|lsp.Command?
function M.pick_action(actions, kind)
  local first
  for _, action in ipairs(actions or {}) do
    if action.kind == kind then
      local data = type(action.data) == 'table' and action.data or {}
      if data.source == 'store' or (data.source == nil and action.isPreferred) then
        return action
      end
      first = first or action
    end
  end
  return first
end

---@param client vim.lsp.Client
---@param bufnr integer
---@param action lsp.CodeAction|lsp.Command
local function run_action(client, bufnr, action)
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  -- A Command has `command` as a string; a CodeAction has it as a Command object.
  local command = type(action.command) == 'table' and action.command or (type(action.command) == 'string' and action)
  if not command then
    return
  end
  client:exec_cmd(command --[[@as lsp.Command]], { bufnr = bufnr }, function(err, result)
    if err then
      vim.notify('ncpu: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
    elseif type(result) == 'table' and result.status == 'verified' and M.options.notify then
      vim.notify('ncpu: verified body inserted', vim.log.levels.INFO)
    elseif type(result) == 'table' and result.status == 'ambiguous' and type(result.ambiguity) == 'table' then
      vim.notify(
        'ncpu: the passing candidates disagree on ' .. tostring(result.ambiguity.question)
          .. '; choose the answer you mean with :NcpuAddExample',
        vim.log.levels.WARN
      )
    elseif type(result) == 'table' and result.status == 'unconfirmed' then
      vim.notify(
        'ncpu: ' .. tostring(result.message)
          .. '; nothing was inserted (the "Insert UNCONFIRMED body" code action inserts it)',
        vim.log.levels.WARN
      )
    end
  end)
end

---Ask the ncpu client for its code actions of `kind` over `range` and run the one to run.
---@param bufnr integer
---@param range { start: integer[], ['end']: integer[] }? 1-based rows, 0-based columns; nil: the cursor
---@param kind string One of `M.kinds`.
---@param nothing string Message when there is no such action.
local function solve(bufnr, range, kind, nothing)
  local client = ncpu_client(bufnr)
  if not client then
    vim.notify('ncpu: the server is not attached to this buffer (see :checkhealth ncpu)', vim.log.levels.WARN)
    return
  end
  local params
  if range then
    params = vim.lsp.util.make_given_range_params(range.start, range['end'], bufnr, client.offset_encoding)
  else
    params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  end
  ---@cast params lsp.CodeActionParams
  params.context = { diagnostics = {}, only = { kind }, triggerKind = 1 }
  client:request('textDocument/codeAction', params, function(err, actions)
    if err then
      vim.notify('ncpu: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    local action = M.pick_action(actions or {}, kind)
    if not action then
      vim.notify(nothing, vim.log.levels.INFO)
      return
    end
    run_action(client, bufnr, action)
  end, bufnr)
end

---After an ambiguous solve: choose one group's answer ("Add example" code actions, one per answer). The
---chosen one adds its doctest to the docstring and solves again.
---@param bufnr? integer
---@param choose? fun(actions: lsp.CodeAction[], done: fun(action: lsp.CodeAction?)) Default: `vim.ui.select`.
function M.add_example(bufnr, choose)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = ncpu_client(bufnr)
  if not client then
    vim.notify('ncpu: the server is not attached to this buffer (see :checkhealth ncpu)', vim.log.levels.WARN)
    return
  end
  choose = choose
    or function(actions, done)
      vim.ui.select(actions, {
        prompt = 'The passing candidates disagree here: which answer do you mean?',
        format_item = function(action)
          return action.title
        end,
      }, done)
    end
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  ---@cast params lsp.CodeActionParams
  params.context = { diagnostics = {}, only = { M.kinds.add_example }, triggerKind = 1 }
  client:request('textDocument/codeAction', params, function(err, actions)
    if err then
      vim.notify('ncpu: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    local answers = {}
    for _, action in ipairs(actions or {}) do
      if action.kind == M.kinds.add_example then
        table.insert(answers, action)
      end
    end
    if #answers == 0 then
      vim.notify('ncpu: no ambiguous solve to settle at the cursor', vim.log.levels.INFO)
      return
    end
    choose(answers, function(action)
      if action then
        run_action(client, bufnr, action)
      end
    end)
  end, bufnr)
end

---Solve the stub at the cursor (the "Solve with cascade" code action).
---@param bufnr? integer
function M.solve(bufnr)
  solve(bufnr or vim.api.nvim_get_current_buf(), nil, M.kinds.solve, 'ncpu: no stub with doctest examples at the cursor')
end

---Solve every stub in the buffer (the "Solve all stubs in file" code action).
---@param bufnr? integer
function M.solve_file(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local last = vim.api.nvim_buf_line_count(bufnr)
  local range = { start = { 1, 0 }, ['end'] = { last, 0 } }
  solve(bufnr, range, M.kinds.solve_file, 'ncpu: no stubs in this file')
end

---LspAttach handler (see plugin/ncpu.lua): buffer-local commands for ncpu clients.
---@param args { buf: integer, data: { client_id: integer } }
function M.on_attach(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= 'ncpu' then
    return
  end
  status.attached(client.id)
  vim.api.nvim_buf_create_user_command(args.buf, 'NcpuSolve', function()
    M.solve(args.buf)
  end, { desc = 'ncpu: solve the stub at the cursor' })
  vim.api.nvim_buf_create_user_command(args.buf, 'NcpuSolveFile', function()
    M.solve_file(args.buf)
  end, { desc = 'ncpu: solve every stub in the file' })
  vim.api.nvim_buf_create_user_command(args.buf, 'NcpuAddExample', function()
    M.add_example(args.buf)
  end, { desc = 'ncpu: settle an ambiguous solve by adding the example you mean' })
end

---LspProgress handler (see plugin/ncpu.lua).
---@param args { data: { client_id: integer, params: lsp.ProgressParams } }
function M.on_progress(args)
  local client = vim.lsp.get_client_by_id(args.data.client_id)
  if not client or client.name ~= 'ncpu' then
    return
  end
  local line = status.progress(client.id, args.data.params)
  if line and M.options.notify then
    vim.notify(line, vim.log.levels.INFO, { title = 'ncpu' })
  end
  vim.cmd.redrawstatus()
end

---`ncpu/status` handler (see lsp/ncpu.lua): the server's state as data.
---@param client_id integer
---@param params ncpu.ServerStatus
function M.on_status(client_id, params)
  local line = status.server(client_id, params)
  if line and M.options.notify then
    vim.notify(line, vim.log.levels.INFO, { title = 'ncpu' })
  end
  vim.api.nvim_exec_autocmds('User', { pattern = 'NcpuStatus', data = { client_id = client_id, status = params } })
  vim.cmd.redrawstatus()
end

---The server and model state for a statusline: "ncpu: idle", "ncpu: solving add", "ncpu: loading model",
---"ncpu: error", or "" when no ncpu client is running.
---@return string
function M.status()
  return status.line()
end

return M
