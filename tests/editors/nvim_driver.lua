-- Drives a headless Neovim for tests/editors/test_neovim.py; exits 0 on success, 1 (cquit) on failure.
-- Expects the stub buffer to be current and vim.g.ncpu_test = { command = 'NcpuSolve', expect = '...', line = N,
-- log = path }: puts the cursor on `line`, runs `command`, waits for `expect` in the buffer (and for a body shown
-- while checking to be settled), writes it.
-- `command = 'code_action'` goes through Neovim's own code-action path (what `gra` does): it requests
-- textDocument/codeAction and applies the one of kind refactor.rewrite.ncpu.solve. `command = 'add_example'` runs
-- :NcpuSolve on a stub whose passing candidates disagree, then settles it with require('ncpu').add_example.

local test = vim.g.ncpu_test
local log = assert(io.open(test.log, 'w'))
local started = vim.uv.hrtime()

local function say(message)
  log:write(('[nvim %5.1fs] %s\n'):format((vim.uv.hrtime() - started) / 1e9, message))
  log:flush()
end

-- Notifications (server messages, progress) go to the log too.
local notified = {}
vim.notify = function(message, level)
  notified[#notified + 1] = message
  say(('notify(%s): %s'):format(level or vim.log.levels.INFO, message))
end

local function wait(what, timeout_ms, check)
  if not vim.wait(timeout_ms, check, 50) then
    error(('timed out after %d s waiting for %s'):format(timeout_ms / 1000, what), 0)
  end
  say(what)
end

-- Each status the statusline helper would show, as progress and ncpu/status arrive.
vim.api.nvim_create_autocmd('LspProgress', {
  callback = function()
    say('status: ' .. require('ncpu').status())
  end,
})
vim.api.nvim_create_autocmd('User', {
  pattern = 'NcpuStatus',
  callback = function(args)
    local status = args.data.status
    say(('ncpu/status: %s %s %s'):format(status.state, tostring(status.stub), tostring(status.layer)))
    say('status: ' .. require('ncpu').status())
  end,
})

---Wait until a notification containing `needle` has arrived.
local function wait_notified(what, needle)
  wait(what, 30000, function()
    for _, message in ipairs(notified) do
      if message:find(needle, 1, true) then
        return true
      end
    end
    return false
  end)
end

local function text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
end

local ok, err = pcall(function()
  local config = vim.lsp.config.ncpu
  assert(config and vim.deep_equal(config.filetypes, { 'python' }), 'lsp/ncpu.lua was not found on the runtimepath')
  assert(vim.bo.filetype == 'python', 'the buffer is not Python: ' .. vim.bo.filetype)
  wait('the ncpu client to attach', 20000, function()
    local client = vim.lsp.get_clients({ bufnr = 0, name = 'ncpu' })[1]
    return client ~= nil and client.initialized == true
  end)
  wait(':NcpuSolve to exist', 5000, function()
    return vim.fn.exists(':NcpuSolve') == 2 and vim.fn.exists(':NcpuSolveFile') == 2
  end)
  say('status: ' .. require('ncpu').status())
  vim.api.nvim_win_set_cursor(0, { test.line, 4 })
  if test.command == 'code_action' then
    local params = vim.lsp.util.make_range_params(0, 'utf-16')
    params.context = { diagnostics = {}, only = { 'refactor.rewrite' } }
    local titles = {}
    for _, response in pairs(vim.lsp.buf_request_sync(0, 'textDocument/codeAction', params, 10000) or {}) do
      for _, action in ipairs(response.result or {}) do
        titles[#titles + 1] = action.title
      end
    end
    say('code actions: ' .. table.concat(titles, ' | '))
    vim.lsp.buf.code_action({
      context = { diagnostics = {}, only = { 'refactor.rewrite' } },
      filter = function(action)
        return action.kind == require('ncpu').kinds.solve
      end,
      apply = true,
    })
  elseif test.command == 'add_example' then
    -- An ambiguous solve: :NcpuSolve says the question; :NcpuAddExample's choice (the first answer here,
    -- where a user picks in vim.ui.select) adds the doctest and solves again.
    vim.cmd('NcpuSolve')
    wait_notified('the question', ':NcpuAddExample')
    require('ncpu').add_example(0, function(actions, done)
      local titles = {}
      for _, action in ipairs(actions) do
        titles[#titles + 1] = action.title
      end
      say('answers: ' .. table.concat(titles, ' | '))
      done(actions[1])
    end)
  elseif test.command == 'insert_unconfirmed' then
    -- A body that passed alone: :NcpuSolve inserts nothing and says so; the code action inserts it.
    vim.cmd('NcpuSolve')
    wait_notified('the unconfirmed notice', 'Insert UNCONFIRMED body')
    say('buffer unchanged: ' .. tostring(text():find('ncpu:', 1, true) == nil))
    vim.lsp.buf.code_action({
      context = { diagnostics = {}, only = { require('ncpu').kinds.insert_unverified } },
      filter = function(action)
        return action.kind == require('ncpu').kinds.insert_unverified
      end,
      apply = true,
    })
  else
    vim.cmd(test.command)
  end
  -- The first passing body may be shown while agreement runs ("# ncpu: checking"); the answer settles it.
  local shown = false
  wait('the body in the buffer', 30000, function()
    local now = text()
    if not shown and now:find('# ncpu: checking', 1, true) then
      shown = true
      say('checking body shown')
    end
    return now:find(test.expect, 1, true) ~= nil and not now:find('# ncpu: checking', 1, true)
  end)
  vim.cmd('write')
  wait('the status to go back to idle', 10000, function()
    return require('ncpu').status() == 'ncpu: idle'
  end)
end)

if ok then
  say('PASS')
  log:close()
  vim.cmd('qall!')
else
  say('FAIL: ' .. tostring(err))
  say('buffer:\n' .. text())
  say('lsp log: ' .. vim.lsp.log.get_filename())
  log:close()
  vim.cmd('cquit 1')
end
