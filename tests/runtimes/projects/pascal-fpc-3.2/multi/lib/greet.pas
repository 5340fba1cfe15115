unit Greet;

interface

const GreetName = 'runlet';

function Greeting(const Name: string): string;

implementation

function Greeting(const Name: string): string;
begin
  Greeting := 'greet: hello, ' + Name;
end;

end.
