: add ( a b -- sum ) + ;
