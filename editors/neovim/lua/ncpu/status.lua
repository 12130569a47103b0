-- The ncpu client's state from `$/progress` (through Neovim's LspProgress), for `require('ncpu').status()`.

---@class ncpu.Work
---@field title string
---@field message? string
---@field loading boolean

---@class ncpu.ClientStatus
---@field work table<string|integer, ncpu.Work> Progress begun and not yet ended, by token.

local M = {}

---@type table<integer, ncpu.ClientStatus>
local clients = {}

---@param client_id integer
function M.attached(client_id)
  clients[client_id] = clients[client_id] or { work = {} }
end

---@param message? string
---@return boolean
local function is_loading(message)
  return message ~= nil and message:lower():find('loading model', 1, true) ~= nil
end

---Record one `$/progress` value; return a line worth telling the user (begin, model loading, end), if any.
---@param client_id integer
---@param params lsp.ProgressParams
---@return string?
function M.progress(client_id, params)
  M.attached(client_id)
  local state = clients[client_id]
  local value = params.value or {}
  local token = params.token
  if value.kind == 'begin' then
    state.work[token] = { title = value.title or 'ncpu', message = value.message, loading = is_loading(value.message) }
    return value.title
  end
  local work = state.work[token]
  if not work then
    return nil
  end
  if value.kind == 'report' then
    local was_loading = work.loading
    if value.message then
      work.message = value.message
      work.loading = is_loading(value.message)
    end
    if work.loading and not was_loading then
      return work.title .. ': ' .. work.message
    end
    return nil
  end
  if value.kind == 'end' then
    state.work[token] = nil
    return work.title .. ': ' .. (value.message or 'done')
  end
  return nil
end

---@return string
function M.line()
  local running = false
  local loading, solving
  for id, state in pairs(clients) do
    local client = vim.lsp.get_client_by_id(id)
    if client and not client:is_stopped() then
      running = true
      for _, work in pairs(state.work) do
        if work.loading then
          loading = work
        else
          solving = solving or work
        end
      end
    else
      clients[id] = nil
    end
  end
  if loading then
    return 'ncpu: loading model'
  elseif solving then
    return 'ncpu: ' .. solving.title:gsub('^ncpu:%s*', '')
  elseif running then
    return 'ncpu: idle'
  end
  return ''
end

return M
