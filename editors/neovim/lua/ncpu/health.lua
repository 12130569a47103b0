-- :checkhealth ncpu

local M = {}

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
end

return M
