local M = { NAME = "runlet" }

function M.greeting(name)
  return "greet: hello, " .. name
end

return M
