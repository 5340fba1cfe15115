: greeting ( -- addr u ) s" greet: hello, runlet" ;
