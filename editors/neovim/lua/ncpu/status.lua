-- The ncpu client's state, for `require('ncpu').status()`: the server's `ncpu/status` notification (data),
-- and `$/progress` (through Neovim's LspProgress) for the text of what it is doing. Neovim's RPC decodes
-- JSON null to nil, so unset fields are absent.

---The params of `ncpu/status` (server/contract.py, `Status`).
---@class ncpu.ServerStatus
---@field state 'idle'|'loading'|'solving'|'error'
---@field model string The model in use while solving or loading, else the ladder's first.
---@field tier? integer Index of `model` in the ladder, cheapest first.
---@field stub? string The stub being solved (the latest, when several are).
---@field solving integer How many solves run.
---@field layer? string The cascade layer at work ('greedy', 'best_of_n', ..., 'agree', 'load').
---@field step? integer
---@field steps? integer
---@field error? string Why, in state 'error'.

---@class ncpu.Work
---@field title string
---@field message? string

---@class ncpu.ClientStatus
---@field work table<string|integer, ncpu.Work> Progress begun and not yet ended, by token.
---@field server? ncpu.ServerStatus The last `ncpu/status`.

local M = {}

---@type table<integer, ncpu.ClientStatus>
local clients = {}

---@param client_id integer
function M.attached(client_id)
  clients[client_id] = clients[client_id] or { work = {} }
end

---Record one `ncpu/status`; return a line worth telling the user (a model starts loading, an error), if any.
---@param client_id integer
---@param params ncpu.ServerStatus
---@return string?
function M.server(client_id, params)
  M.attached(client_id)
  local state = clients[client_id]
  local states = { idle = true, loading = true, solving = true, error = true }
  if type(params) ~= 'table' or not states[params.state] then
    return nil -- not a status this plugin knows: the last one stands
  end
  local before = state.server and state.server.state
  state.server = params
  if params.state == before then
    return nil
  end
  if params.state == 'loading' then
    return 'ncpu: loading model ' .. (params.model or '')
  elseif params.state == 'error' then
    return 'ncpu: ' .. (params.error or 'the last solve could not use the model')
  end
  return nil
end

---Record one `$/progress` value; return a line worth telling the user (begin, end), if any.
---@param client_id integer
---@param params lsp.ProgressParams
---@return string?
function M.progress(client_id, params)
  M.attached(client_id)
  local state = clients[client_id]
  local value = params.value or {}
  local token = params.token
  if value.kind == 'begin' then
    state.work[token] = { title = value.title or 'ncpu', message = value.message }
    return value.title
  end
  local work = state.work[token]
  if not work then
    return nil
  end
  if value.kind == 'report' then
    work.message = value.message or work.message
    return nil
  end
  if value.kind == 'end' then
    state.work[token] = nil
    return work.title .. ': ' .. (value.message or 'done')
  end
  return nil
end

---The state of one client: from its last `ncpu/status`, else from its progress.
---@param state ncpu.ClientStatus
---@return string
local function client_line(state)
  local server = state.server
  if server then
    if server.state == 'loading' then
      return 'ncpu: loading model'
    elseif server.state == 'solving' then
      local stub = server.stub
      return stub and ('ncpu: solving ' .. stub) or 'ncpu: solving'
    elseif server.state == 'error' then
      return 'ncpu: error'
    end
    return 'ncpu: idle'
  end
  local _, work = next(state.work)
  if work then
    return 'ncpu: ' .. work.title:gsub('^ncpu:%s*', '')
  end
  return 'ncpu: idle'
end

---@return string
function M.line()
  local lines = {}
  for id, state in pairs(clients) do
    local client = vim.lsp.get_client_by_id(id)
    if client and not client:is_stopped() then
      lines[#lines + 1] = client_line(state)
    else
      clients[id] = nil
    end
  end
  -- One ncpu client per root: the busiest state wins.
  for _, wanted in ipairs({ 'ncpu: loading model', 'ncpu: error', 'ncpu: solving' }) do
    for _, line in ipairs(lines) do
      if vim.startswith(line, wanted) then
        return line
      end
    end
  end
  return lines[1] or ''
end

return M
