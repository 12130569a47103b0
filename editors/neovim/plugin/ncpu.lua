-- Buffer commands and progress for the ncpu client, whether or not `require('ncpu').setup()` was called.
if vim.g.loaded_ncpu then
  return
end
vim.g.loaded_ncpu = true

local group = vim.api.nvim_create_augroup('ncpu', { clear = true })

vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  desc = 'ncpu: buffer-local :NcpuSolve and :NcpuSolveFile',
  callback = function(args)
    require('ncpu').on_attach(args)
  end,
})

vim.api.nvim_create_autocmd('LspProgress', {
  group = group,
  desc = 'ncpu: solve progress',
  callback = function(args)
    require('ncpu').on_progress(args)
  end,
})
