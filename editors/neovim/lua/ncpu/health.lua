-- :checkhealth ncpu

local M = {}

-- `ncpu doctor` loads the model and decodes 16 tokens: about a minute on 2 cores, so twice that.
local DOCTOR_TIMEOUT = 120

---@param path string
---@return boolean
local function executable(path)
  return vim.fn.executable(path) == 1
end

---The `ncpu doctor --json` command for a server command, or nil and why not.
---
---`{ python, '-m', 'server' }` (with anything before `python`, such as `uv run`) gives
---`{ python, '-m', 'ncpu', 'doctor', '--json' }`; `ncpu-lsp` gives the `ncpu` script beside it when that is
---executable, else `ncpu` on $PATH.
---@param cmd string[]
---@return string[]?, string?
function M.doctor_cmd(cmd)
  local n = #cmd
  if n >= 3 and cmd[n] == 'server' and cmd[n - 1] == '-m' then
    local doctor = vim.list_slice(cmd, 1, n - 2)
    return vim.list_extend(doctor, { '-m', 'ncpu', 'doctor', '--json' })
  end
  local lsp = cmd[1]
  local name = vim.fs.basename(lsp):gsub('%.exe$', '')
  if name == 'ncpu-lsp' then
    local resolved = lsp:find('[/\\]') and lsp or vim.fn.exepath(lsp)
    if resolved ~= '' then
      local suffix = lsp:match('%.exe$') and '.exe' or ''
      local beside = vim.fs.joinpath(vim.fs.dirname(resolved), 'ncpu' .. suffix)
      if executable(beside) then
        return { beside, 'doctor', '--json' }
      end
    end
    if executable('ncpu') then
      return { vim.fn.exepath('ncpu'), 'doctor', '--json' }
    end
    return nil, ('no `ncpu` command beside %s or on $PATH'):format(lsp)
  end
  return nil, ('cannot tell how to run `ncpu doctor` from cmd = { %s }'):format(table.concat(cmd, ', '))
end

---The line of stderr that says what went wrong: the last of a traceback or usage message, else the first.
---@param stderr string?
---@return string
function M.stderr_line(stderr)
  local lines = vim.tbl_filter(function(line)
    return line ~= ''
  end, vim.tbl_map(vim.trim, vim.split(stderr or '', '\n', { plain = true })))
  if #lines == 0 then
    return ''
  end
  if vim.startswith(lines[1], 'Traceback') or vim.startswith(lines[1], 'usage:') then
    return lines[#lines]
  end
  return lines[1]
end

---The doctor's report in its stdout, or nil: the whole of it, else from the last line that opens an
---object (the doctor indents its JSON) to the end, then from the one before, and so on.
---@param stdout string?
---@return { ok: boolean?, ncpu: string?, rows: table[] }?
function M.parse_report(stdout)
  local text = vim.trim(stdout or '')
  local candidates = { text }
  local lines = vim.split(text, '\n', { plain = true })
  for i = #lines, 2, -1 do
    if vim.startswith(lines[i], '{') then
      candidates[#candidates + 1] = table.concat(lines, '\n', i)
    end
  end
  for _, candidate in ipairs(candidates) do
    local ok, value = pcall(vim.json.decode, candidate, { luanil = { object = true, array = true } })
    if ok and type(value) == 'table' and type(value.rows) == 'table' then
      return value
    end
  end
  return nil
end

---@param value any
---@return string
local function one_line(value)
  if value == nil or value == vim.NIL then
    return ''
  end
  return vim.trim((type(value) == 'string' and value or vim.json.encode(value)):gsub('%s*\n%s*', ' '))
end

---Report each row of the doctor: ok / warn / fail as vim.health.ok / warn / error, the fix as advice.
---@param report { ok: boolean?, ncpu: string?, rows: table[] }
local function report_rows(report)
  local failed = 0
  for _, row in ipairs(report.rows) do
    if type(row) == 'table' then
      local check = one_line(row.check)
      local detail = one_line(row.detail)
      local text = (check ~= '' and check or '?') .. (detail ~= '' and (': ' .. detail) or '')
      local fix = one_line(row.fix)
      local advice = fix ~= '' and { fix } or nil
      if row.status == 'ok' then
        vim.health.ok(text)
      elseif row.status == 'fail' then
        failed = failed + 1
        vim.health.error(text, advice)
      elseif row.status == 'warn' then
        vim.health.warn(text, advice)
      else
        -- A status this version does not know: shown, not dropped.
        vim.health.warn(('%s (status "%s")'):format(text, one_line(row.status)), advice)
      end
    end
  end
  if #report.rows == 0 then
    vim.health.warn('the doctor reported no checks')
  elseif report.ok == false and failed == 0 then
    vim.health.error('the doctor reports a failure')
  end
end

---Run `ncpu doctor --json` with the client's command and report its rows.
---@param config vim.lsp.Config
local function check_doctor(config)
  vim.health.start('ncpu doctor')
  local timeout = tonumber(vim.g.ncpu_doctor_timeout) or DOCTOR_TIMEOUT
  if timeout <= 0 then
    vim.health.info('skipped (vim.g.ncpu_doctor_timeout = 0)')
    return
  end
  local cmd, why = M.doctor_cmd(config.cmd)
  if not cmd then
    vim.health.error(why or 'no doctor command', {
      "pip install ncpu (it installs `ncpu` beside `ncpu-lsp`), or run `ncpu doctor` in a shell",
      "or set cmd = { '/path/to/python', '-m', 'server' } in require('ncpu').setup()",
    })
    return
  end
  local shown = table.concat(cmd, ' ')
  if not executable(cmd[1]) then
    vim.health.error(('cannot run `%s`: %s is not executable'):format(shown, cmd[1]))
    return
  end
  -- checkhealth blocks while the checks run; say why this one takes a while.
  vim.api.nvim_echo({ { ('ncpu: running `%s` (loads the model, up to %d s)…'):format(shown, timeout) } }, false, {})
  vim.cmd.redraw()
  local started = vim.uv.hrtime()
  local env = vim.tbl_extend('force', config.cmd_env or {}, { NO_COLOR = '1', PYTHONUNBUFFERED = '1' })
  local out ---@type vim.SystemCompleted?
  -- `detach`: a process group of its own (POSIX), so a timeout also ends the model host process it
  -- starts, which would otherwise hold stdout open.
  local ok, job = pcall(vim.system, cmd, { text = true, cwd = config.cmd_cwd, env = env, detach = true }, function(result)
    out = result
  end)
  if not ok then
    vim.health.error(('cannot run `%s`: %s'):format(shown, tostring(job)))
    return
  end
  local finished = vim.wait(timeout * 1000, function()
    return out ~= nil
  end, 50)
  local seconds = (vim.uv.hrtime() - started) / 1e9
  if not finished then
    if vim.fn.has('win32') == 0 then
      pcall(vim.uv.kill, -job.pid, 'sigkill')
    end
    pcall(job.kill, job, 'sigkill')
    vim.wait(2000, function()
      return out ~= nil
    end, 50)
    vim.health.error(('`%s` did not finish in %g s'):format(shown, timeout), {
      'run it in a shell to see where it stops',
      'raise the limit with vim.g.ncpu_doctor_timeout = SECONDS',
    })
    return
  end
  ---@cast out vim.SystemCompleted
  local report = M.parse_report(out.stdout)
  if not report then
    local exit = (out.signal or 0) ~= 0 and ('was killed by signal %d'):format(out.signal)
      or ('exited %d'):format(out.code)
    local line = M.stderr_line(out.stderr)
    if line == '' then
      local first = vim.split(vim.trim(out.stdout or ''), '\n', { plain = true })[1]
      line = first ~= '' and ('printed no JSON report: ' .. first:sub(1, 200)) or 'printed nothing'
    end
    local advice = nil
    if line:find("No module named '?ncpu'?$") then
      advice = { 'install ncpu into that Python (pip install ncpu), or set cmd' }
    elseif line:find("invalid choice: '?doctor'?") then
      advice = { 'this ncpu has no doctor command: upgrade it' }
    end
    vim.health.error(('`%s` %s: %s'):format(shown, exit, line), advice)
    return
  end
  vim.health.info(
    ('`%s`%s: exit %d in %.1f s'):format(shown, report.ncpu and (' (ncpu ' .. one_line(report.ncpu) .. ')') or '', out.code, seconds)
  )
  report_rows(report)
end

function M.check()
  vim.health.start('ncpu')
  if vim.fn.has('nvim-0.11') == 1 then
    vim.health.ok('Neovim 0.11+')
  else
    vim.health.error('Neovim 0.11 or newer is needed for vim.lsp.config / vim.lsp.enable')
  end
  local config = vim.lsp.config.ncpu
  local cmd = config and config.cmd
  if type(cmd) ~= 'table' or cmd[1] == nil then
    vim.health.error('no ncpu client config: is editors/neovim on the runtimepath?')
    return
  end
  if vim.fn.executable(cmd[1]) == 1 then
    vim.health.ok(('server command: %s'):format(table.concat(cmd, ' ')))
    -- `ncpu-lsp` and `python -m server` both answer --version without serving: this catches import errors.
    if cmd[1]:find('ncpu%-lsp$') or cmd[#cmd] == 'server' then
      local version = vim.list_extend(vim.deepcopy(cmd), { '--version' })
      local out = vim.system(version, { text = true }):wait(30000)
      if out.code == 0 then
        vim.health.ok(vim.trim(out.stdout or ''))
      else
        vim.health.error(('`%s` failed: %s'):format(table.concat(version, ' '), vim.trim(out.stderr or '')))
      end
    end
  else
    vim.health.error(('%s is not executable'):format(cmd[1]), {
      "pip install ncpu (or pip install -e . in the repository) into a Python on $PATH",
      "or set cmd = { '/path/to/python', '-m', 'server' } in require('ncpu').setup()",
    })
  end
  local clients = vim.lsp.get_clients({ name = 'ncpu' })
  if #clients > 0 then
    vim.health.ok(('%d ncpu client(s) running; status: %s'):format(#clients, require('ncpu').status()))
  else
    vim.health.info('no ncpu client running (open a Python file)')
  end
  vim.health.info('server log: ' .. vim.lsp.log.get_filename())
  check_doctor(config)
end

return M
