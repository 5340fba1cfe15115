#lang racket/base
(eprintf "about to fail\n")
(exit 3)
