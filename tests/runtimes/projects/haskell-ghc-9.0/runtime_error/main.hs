import System.Exit
import System.IO

main :: IO ()
main = do
  hPutStrLn stderr "about to fail"
  exitWith (ExitFailure 3)
