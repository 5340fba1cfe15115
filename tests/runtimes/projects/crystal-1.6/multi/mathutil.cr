module MathUtil
  def self.add(a, b)
    a + b
  end
end
