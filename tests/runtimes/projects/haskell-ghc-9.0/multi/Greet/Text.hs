module Greet.Text (greeting, name) where

name :: String
name = "runlet"

greeting :: String -> String
greeting n = "greet: hello, " ++ n
